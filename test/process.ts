/** Real server processes for end-to-end tests: spawn on port 0, read the port from the log. */
import { join } from 'node:path'
import { TEST_SECRET } from './helpers'

export const REPO = join(import.meta.dir, '..')

export interface ServerProcess {
  proc: ReturnType<typeof Bun.spawn>
  port: number
  url: string
  /** Every stdout/stderr line so far. */
  lines: string[]
  exited: Promise<number>
}

export interface SpawnOptions {
  dir: string
  env?: Record<string, string>
  /** Command to run; defaults to `bun src/main.ts serve`. */
  cmd?: string[]
  cwd?: string
}

export async function spawnServer(o: SpawnOptions): Promise<ServerProcess> {
  const cmd = o.cmd ?? [process.execPath, join(REPO, 'src/main.ts'), 'serve']
  const proc = Bun.spawn(cmd, {
    cwd: o.cwd ?? o.dir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? o.dir,
      BLOOP__SERVER__PORT: '0',
      BLOOP__SERVER__HOST: '127.0.0.1',
      BLOOP__DATABASE__PATH: join(o.dir, 'bloop.db'),
      BLOOP__AUTH__HMAC_SECRET: TEST_SECRET,
      BLOOP__RATE_LIMIT__PER_SECOND: '1000000',
      BLOOP__RATE_LIMIT__BURST_SIZE: '1000000',
      ...o.env,
    },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const lines: string[] = []
  let resolvePort: (p: number) => void
  let rejectPort: (e: Error) => void
  const portP = new Promise<number>((res, rej) => {
    resolvePort = res
    rejectPort = rej
  })
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder()
    let buf = ''
    for await (const chunk of stream) {
      buf += decoder.decode(chunk, { stream: true })
      let nl = buf.indexOf('\n')
      while (nl >= 0) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        lines.push(line)
        if (line.includes('"msg":"listening"')) resolvePort(JSON.parse(line).port)
        nl = buf.indexOf('\n')
      }
    }
  }
  pump(proc.stdout as ReadableStream<Uint8Array>)
  pump(proc.stderr as ReadableStream<Uint8Array>)
  const exited = proc.exited
  exited.then((code) =>
    rejectPort(new Error(`server exited with ${code} before listening:\n${lines.join('\n')}`)),
  )
  const timer = setTimeout(
    () => rejectPort(new Error(`server did not start in 20 s:\n${lines.join('\n')}`)),
    20_000,
  )
  const port = await portP.finally(() => clearTimeout(timer))
  return { proc, port, url: `http://127.0.0.1:${port}`, lines, exited }
}
