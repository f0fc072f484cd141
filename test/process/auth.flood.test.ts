/**
 * Floods of sign-in ceremonies against a real server process over raw sockets: the /auth
 * rate limit must hold whatever the Host header says (Elysia routes on the URL from the
 * eleventh character on, so `Host: x` turns /v1/auth/... into /auth/...), and one client
 * starting ceremonies by the thousand must not push out another client's pending one.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { tempDir } from '../helpers'
import { type ServerProcess, spawnServer } from '../process'
import { RawConnection, type RawResponse, rawRequest } from '../rawhttp'

let server: ServerProcess | null = null
let dir = ''
afterEach(async () => {
  server?.proc.kill()
  await server?.exited
  server = null
  rmSync(dir, { recursive: true, force: true })
})

async function start(authPerSecond: number, authBurst: number): Promise<ServerProcess> {
  dir = tempDir()
  server = await spawnServer({
    dir,
    env: {
      BLOOP__RATE_LIMIT__AUTH_PER_SECOND: String(authPerSecond),
      BLOOP__RATE_LIMIT__AUTH_BURST_SIZE: String(authBurst),
    },
  })
  return server
}

const json = { 'Content-Type': 'application/json' }
const loginStart = (host: string | null, path = '/auth/login/start') => ({
  method: 'POST',
  path,
  host,
  headers: json,
  body: '{}',
})
const garbageCredential = { id: 'abc', rawId: 'abc', type: 'public-key', response: { clientDataJSON: 'e30' } }
const finish = (challengeId: string) => ({
  method: 'POST',
  path: '/auth/login/finish',
  host: 'localhost',
  headers: json,
  body: JSON.stringify({ challenge_id: challengeId, credential: garbageCredential }),
})
const body = (r: RawResponse) => JSON.parse(r.body) as Record<string, unknown>

describe('the /auth rate limit', () => {
  test('holds for /v1/auth/login/start sent with a one-letter Host header, which the router serves as /auth/login/start', async () => {
    const { port } = await start(1, 10)
    const c = await RawConnection.open(port)
    const started = performance.now()
    const responses: RawResponse[] = []
    for (let i = 0; i < 40; i++) responses.push(await c.send(loginStart('x', '/v1/auth/login/start')))
    const elapsedSecs = (performance.now() - started) / 1000
    c.close()
    // The router really does serve the ceremony under that path (this is the bypass)...
    expect(responses[0]?.status).toBe(200)
    expect(body(responses[0] as RawResponse).challenge_id).toMatch(/^[A-Za-z0-9_-]{43}$/)
    // ...and the burst of 10 is all it gets, plus at most one refill per elapsed second.
    const statuses = responses.map((r) => r.status)
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200))
    const allowed = statuses.filter((s) => s === 200).length
    expect(allowed).toBeLessThanOrEqual(10 + Math.ceil(elapsedSecs))
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([])
    const limited = responses.find((r) => r.status === 429) as RawResponse
    expect(body(limited).code).toBe('rate_limited')
    expect(limited.headers['retry-after']).toBe('1')
  })

  test('a Host header that is no host name is a 400 on every route, not a 500', async () => {
    const { port } = await start(1, 10)
    for (const host of ['', 'a/b', 'x?y']) {
      for (const path of ['/0123456789/auth/login/start', '/auth/login/start', '/']) {
        const r = await rawRequest(port, { ...loginStart(host, path), method: path === '/' ? 'GET' : 'POST' })
        expect({ host, path, status: r.status, body: body(r) }).toEqual({
          host,
          path,
          status: 400,
          body: { error: 'the Host header is missing or not a host name', code: 'bad_request' },
        })
      }
    }
  })
})

describe('pending sign-in challenges', () => {
  test('a sign-in started by one client survives 1,100 starts from another client', async () => {
    const { port } = await start(10_000, 10_000)
    // The real user, at 127.0.0.1, clicks "Sign in" and is choosing a passkey...
    const mine = await rawRequest(port, loginStart('localhost'))
    expect(mine.status).toBe(200)
    const myChallenge = body(mine).challenge_id as string

    // ...while another client, at 127.0.0.2, starts ceremonies as fast as it can.
    const flood = await RawConnection.open(port, { localAddress: '127.0.0.2' })
    const theirs: string[] = []
    for (let i = 0; i < 1100; i++) {
      const r = await flood.send(loginStart('localhost'))
      expect(r.status).toBe(200)
      theirs.push(body(r).challenge_id as string)
    }
    flood.close()

    // The user's challenge is still there: the finish gets as far as looking up the
    // passkey (unknown here: the credential is made up), not "expired".
    const mineFinished = await rawRequest(port, finish(myChallenge))
    expect({ status: mineFinished.status, body: body(mineFinished) }).toEqual({
      status: 401,
      body: { error: 'this passkey is not registered on this server', code: 'unauthorized' },
    })
    // The flooder pushed out only its own oldest challenges; its newest is live.
    const theirOldest = await rawRequest(port, finish(theirs[0] as string), '127.0.0.2')
    expect(theirOldest.status).toBe(400)
    expect(body(theirOldest).field).toBe('challenge_id')
    const theirNewest = await rawRequest(port, finish(theirs.at(-1) as string), '127.0.0.2')
    expect(theirNewest.status).toBe(401)
  })
})
