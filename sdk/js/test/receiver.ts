/**
 * A loopback HTTP receiver for the SDK's own tests: records every request (path, headers,
 * body) and answers from a script, so delivery (batching, retry, Retry-After, refusals) is
 * tested over a real socket with the SDK's real fetch. The tests against the bloop server
 * itself live in the repository's test/http/sdk.*.test.ts and test/browser/sdk.test.ts.
 */
import { createHmac } from 'node:crypto'

export interface Received {
  path: string
  headers: Headers
  body: string
  at: number
  json: unknown
}

export type Reply = { status: number; headers?: Record<string, string>; body?: unknown }

export interface Receiver {
  url: string
  requests: Received[]
  /** Answers for the next requests, in order; after them, 200 with `{accepted}`. */
  script: Reply[]
  stop(): void
}

export function receiver(): Receiver {
  const r: Receiver = {
    url: '',
    requests: [],
    script: [],
    stop: () => server.stop(true),
  }
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      const body = await req.text()
      let json: unknown
      try {
        json = JSON.parse(body)
      } catch {}
      r.requests.push({ path: new URL(req.url).pathname, headers: req.headers, body, at: Date.now(), json })
      const next = r.script.shift() ?? { status: 200, body: { accepted: 1, dropped: 0, errors: [] } }
      return Response.json(next.body ?? {}, { status: next.status, headers: next.headers })
    },
  })
  r.url = `http://127.0.0.1:${server.port}`
  return r
}

export const sign = (key: string, body: string) => createHmac('sha256', key).update(body).digest('hex')

export async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await Bun.sleep(10)
  }
}
