/**
 * Logs, one entry per line on stdout (stderr for warn and error). Two formats:
 *
 * - json: one object per line, so that journald, Docker and any log shipper can parse
 *   them without configuration. What a service manager or a pipe receives.
 * - text: `time LEVEL message key=value ...` for a person at a terminal, where a JSON line
 *   hides what matters behind escapes (a command quoted inside a JSON string is not one
 *   that can be pasted).
 *
 * `log.format = "auto"` (the default) picks text when stdout is a terminal, json otherwise.
 */
export type Level = 'debug' | 'info' | 'warn' | 'error'
export type LogFormat = 'json' | 'text'
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
  /**
   * An info entry written for the person starting bloop: in text format `human` is printed
   * as it is (commands to copy, one per line); in JSON it is an ordinary entry of `fields`.
   */
  notice(msg: string, fields: Record<string, unknown>, human: string): void
  enabled(level: Level): boolean
  readonly format: LogFormat
}

export type Sink = (line: string, level: Level) => void

const defaultSink: Sink = (line, level) => {
  if (RANK[level] >= RANK.warn) process.stderr.write(`${line}\n`)
  else process.stdout.write(`${line}\n`)
}

/** The format `log.format` asks for, given whether stdout is a terminal. */
export function resolveLogFormat(
  configured: 'auto' | LogFormat,
  isTTY: boolean = process.stdout.isTTY === true,
): LogFormat {
  if (configured === 'auto') return isTTY ? 'text' : 'json'
  return configured
}

/** A bare word stays bare; anything a reader could misparse (spaces, quotes, =) is quoted. */
function textValue(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"'=]+$/.test(v) ? v : JSON.stringify(v)
  if (v instanceof Error) return JSON.stringify(v.message)
  return JSON.stringify(v) ?? String(v)
}

function textLine(lvl: Level, msg: string, fields: Record<string, unknown>): string {
  const parts = [new Date().toISOString(), lvl.toUpperCase().padEnd(5), msg]
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) parts.push(`${k}=${textValue(v)}`)
  let line = parts.join(' ')
  // An unexpected failure keeps its stack, indented under the line it belongs to.
  for (const v of Object.values(fields)) {
    if (v instanceof Error && v.stack && lvl === 'error')
      line += `\n    ${v.stack.replaceAll('\n', '\n    ')}`
  }
  return line
}

export function createLogger(
  level: Level = 'info',
  sink: Sink = defaultSink,
  base: Record<string, unknown> = {},
  format: LogFormat = 'json',
): Logger {
  const min = RANK[level]
  const write = (lvl: Level, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[lvl] < min) return
    if (format === 'text') return sink(textLine(lvl, msg, { ...base, ...fields }), lvl)
    const entry: Record<string, unknown> = {
      ts: new Date().toISOString(),
      level: lvl,
      msg,
      ...base,
      ...fields,
    }
    for (const [k, v] of Object.entries(entry)) {
      if (v instanceof Error) entry[k] = { name: v.name, message: v.message, stack: v.stack }
    }
    sink(JSON.stringify(entry), lvl)
  }
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    notice: (m, f, human) => {
      if (format === 'json' || RANK.info < min) return write('info', m, f)
      sink(human.trimEnd(), 'info')
    },
    enabled: (l) => RANK[l] >= min,
    format,
  }
}

/** Collects lines in memory; for tests that assert on what was logged. */
export function memoryLogger(level: Level = 'debug'): Logger & { lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = []
  const logger = createLogger(level, (line) => lines.push(JSON.parse(line)))
  return Object.assign(logger, { lines })
}
