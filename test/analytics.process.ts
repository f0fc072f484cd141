/**
 * For the end-to-end analytics tests (servers come from ./process): bounded waiting,
 * the executable's CLI, and signed batches over HTTP.
 */
import { sign } from '../src/errors/ingest/hmac'
import { TEST_SECRET } from './helpers'
import type { ServerProcess } from './process'

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

/** Runs a CLI command with the server's environment and returns its last stdout line. */
export async function cli(cmd: string[], args: string[], env: Record<string, string>, cwd: string) {
  const p = Bun.spawn([...cmd, ...args], {
    env: { PATH: process.env.PATH ?? '', BLOOP__AUTH__HMAC_SECRET: TEST_SECRET, ...env },
    cwd,
    stdout: 'pipe',
    stderr: 'pipe',
  })
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

/** SIGTERM and the exit code. */
export async function stop(server: ServerProcess) {
  server.proc.kill('SIGTERM')
  return server.exited
}
