/**
 * For the end-to-end analytics tests: a real bloop process (source or compiled) on port 0,
 * signed ingest over HTTP, and waiting with a bound instead of sleeping.
 */
import type { Subprocess } from 'bun'
import { sign } from '../src/ingest/hmac'
import { TEST_SECRET } from './helpers'

export interface Server {
  proc: Subprocess<'ignore', 'pipe', 'pipe'>
  url: string
  /** Every log line printed so far (stdout and stderr). */
  lines: string[]
}

export function serverEnv(dbPath: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    BLOOP__AUTH__HMAC_SECRET: TEST_SECRET,
    BLOOP__DATABASE__PATH: dbPath,
    BLOOP__SERVER__HOST: '127.0.0.1',
    BLOOP__SERVER__PORT: '0',
    BLOOP__RATE_LIMIT__PER_SECOND: '1000000',
    BLOOP__RATE_LIMIT__BURST_SIZE: '1000000',
    ...extra,
  }
}

async function pump(stream: ReadableStream<Uint8Array>, lines: string[]) {
  const decoder = new TextDecoder()
  let rest = ''
  for await (const chunk of stream) {
    rest += decoder.decode(chunk, { stream: true })
    const parts = rest.split('\n')
    rest = parts.pop() ?? ''
    lines.push(...parts)
  }
}

/** Starts `cmd serve` and resolves once it listens (or fails with its output). */
export async function startServer(cmd: string[], env: Record<string, string>, cwd: string): Promise<Server> {
  const proc = Bun.spawn([...cmd, 'serve'], { env, cwd, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
  const lines: string[] = []
  void pump(proc.stdout, lines)
  void pump(proc.stderr, lines)
  const port = await until(
    () => {
      for (const l of lines) {
        if (!l.includes('"listening"')) continue
        return (JSON.parse(l) as { port: number }).port
      }
      if (proc.exitCode !== null) throw new Error(`server exited ${proc.exitCode}:\n${lines.join('\n')}`)
      return undefined
    },
    30_000,
    () => `server did not listen:\n${lines.join('\n')}`,
  )
  return { proc, url: `http://127.0.0.1:${port}`, lines }
}

/** Polls `check` every 25 ms until it returns a value other than undefined. */
export async function until<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  describe: () => string,
): Promise<T> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v !== undefined) return v
    if (performance.now() > deadline) throw new Error(describe())
    await Bun.sleep(25)
  }
}

/** Runs a CLI command of the executable and returns its last stdout line. */
export async function cli(cmd: string[], args: string[], env: Record<string, string>, cwd: string) {
  const p = Bun.spawn([...cmd, ...args], { env, cwd, stdout: 'pipe', stderr: 'pipe' })
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ])
  if (code !== 0) throw new Error(`${args.join(' ')} exited ${code}: ${err}`)
  return out.trim().split('\n').pop() as string
}

export function signedBatch(url: string, events: Record<string, unknown>[]): Promise<Response> {
  const body = JSON.stringify({ events })
  return fetch(`${url}/v1/ingest/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-signature': sign(TEST_SECRET, body) },
    body,
  })
}

export async function stop(server: Server): Promise<number> {
  server.proc.kill('SIGTERM')
  return server.proc.exited
}
