/**
 * Structured JSON logs, one object per line on stdout (stderr for warn and error), so that
 * journald, Docker and any log shipper can parse them without configuration.
 */
export type Level = 'debug' | 'info' | 'warn' | 'error'
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
  enabled(level: Level): boolean
}

export type Sink = (line: string, level: Level) => void

const defaultSink: Sink = (line, level) => {
  if (RANK[level] >= RANK.warn) process.stderr.write(`${line}\n`)
  else process.stdout.write(`${line}\n`)
}

export function createLogger(
  level: Level = 'info',
  sink: Sink = defaultSink,
  base: Record<string, unknown> = {},
): Logger {
  const min = RANK[level]
  const write = (lvl: Level, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[lvl] < min) return
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
    enabled: (l) => RANK[l] >= min,
  }
}

/** Collects lines in memory; for tests that assert on what was logged. */
export function memoryLogger(level: Level = 'debug'): Logger & { lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = []
  const logger = createLogger(level, (line) => lines.push(JSON.parse(line)))
  return Object.assign(logger, { lines })
}
