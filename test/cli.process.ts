/**
 * The CLI as an operator runs it: `bun src/main.ts <args>` as a real process, with only the
 * environment a test gives it (no BLOOP__ defaults, unlike process.ts's spawnServer), so
 * what a config file or the working directory decides is what the process sees.
 */
import { join } from 'node:path'
import { REPO } from './process'

export const MAIN = join(REPO, 'src', 'main.ts')
export const BUN = process.execPath

export interface Ran {
  code: number
  stdout: string
  stderr: string
}

export interface RunOptions {
  cwd: string
  env?: Record<string, string>
  /** Replaces PATH (e.g. a directory without git in it). */
  path?: string
}

// HOME is the test runner's: Bun keeps its caches there, and a working directory must stay as the test made it.
const baseEnv = (o: RunOptions) => ({
  PATH: o.path ?? process.env.PATH ?? '',
  HOME: process.env.HOME ?? o.cwd,
  ...o.env,
})

/** Runs a command to its end (20 s at most: a command that starts a server by mistake fails). */
export async function bloop(args: string[], o: RunOptions): Promise<Ran> {
  const proc = Bun.spawn([BUN, MAIN, ...args], {
    cwd: o.cwd,
    env: baseEnv(o),
    stdout: 'pipe',
    stderr: 'pipe',
    stdin: 'ignore',
  })
  const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000)
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ])
  clearTimeout(timer)
  return { code, stdout, stderr }
}

export interface Running {
  proc: ReturnType<typeof Bun.spawn>
  /** Every output line so far (stdout and stderr). */
  lines: string[]
  port: number
  url: string
  exited: Promise<number>
  stop(): Promise<number>
}

/** Servers still running when the test run ends (a failed assertion skipped their stop). */
const started = new Set<ReturnType<typeof Bun.spawn>>()
process.on('exit', () => {
  for (const proc of started) proc.kill('SIGKILL')
})

/**
 * Starts a long-running command (a server) and waits for its `listening` line, JSON or text.
 * `cmd` replaces `bun src/main.ts <args>` (e.g. to run it under script(1)).
 */
export async function startBloop(
  args: string[],
  o: RunOptions & { cmd?: string[]; timeoutMs?: number },
): Promise<Running> {
  const cmd = o.cmd ?? [BUN, MAIN, ...args]
  const proc = Bun.spawn(cmd, {
    cwd: o.cwd,
    env: baseEnv(o),
    stdout: 'pipe',
    stderr: 'pipe',
    stdin: 'ignore',
  })
  started.add(proc)
  proc.exited.then(() => started.delete(proc))
  const lines: string[] = []
  let found: (port: number) => void = () => {}
  let failed: (e: Error) => void = () => {}
  const portP = new Promise<number>((res, rej) => {
    found = res
    failed = rej
  })
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder()
    let buf = ''
    for await (const chunk of stream) {
      buf += decoder.decode(chunk, { stream: true })
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        // script(1) writes terminal line endings (\r\n).
        const line = buf.slice(0, nl).replace(/\r$/, '')
        buf = buf.slice(nl + 1)
        lines.push(line)
        const json = line.startsWith('{') ? (JSON.parse(line) as { msg?: string; port?: number }) : null
        if (json?.msg === 'listening') found(json.port as number)
        const text = / INFO +listening .*port=(\d+)/.exec(line)
        if (text) found(Number(text[1]))
      }
    }
  }
  pump(proc.stdout as ReadableStream<Uint8Array>)
  pump(proc.stderr as ReadableStream<Uint8Array>)
  const exited = proc.exited
  exited.then((code) => failed(new Error(`exited with ${code} before listening:\n${lines.join('\n')}`)))
  const timer = setTimeout(
    () => failed(new Error(`not listening after ${o.timeoutMs ?? 20_000} ms:\n${lines.join('\n')}`)),
    o.timeoutMs ?? 20_000,
  )
  const port = await portP.finally(() => clearTimeout(timer))
  return {
    proc,
    lines,
    port,
    url: `http://127.0.0.1:${port}`,
    exited,
    stop: async () => {
      proc.kill('SIGTERM')
      return exited
    },
  }
}

/** Runs a shell command line in a real bash, as an operator pasting it would. */
export async function shell(line: string): Promise<Ran> {
  const proc = Bun.spawn(['bash', '-c', line], { stdout: 'pipe', stderr: 'pipe', stdin: 'ignore' })
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ])
  return { code, stdout, stderr }
}

/** A config file that serves on loopback, port 0, with its database in `dir`. */
export function configToml(dbPath: string, extra = ''): string {
  return [
    '[server]',
    'host = "127.0.0.1"',
    'port = 0',
    '[database]',
    `path = ${JSON.stringify(dbPath)}`,
    extra,
  ].join('\n')
}
