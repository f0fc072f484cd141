/**
 * Parses JavaScript stack traces into frames, pure. Formats, one frame per line:
 *
 * - Chrome/V8 (Node, Bun, Deno, Edge, Electron):  `    at fn (url:line:col)`,
 *   `    at url:line:col`, `at async fn (...)`, `at new Foo (...)`, `at fn [as alias] (...)`,
 *   `at Array.map (<anonymous>)`, `at fn (native)`; the Sentry compatibility layer renders
 *   Sentry frames in this form too.
 * - Firefox and Safari/JavaScriptCore: `fn@url:line:col`, `@url:line:col`,
 *   `global code@url:line:col`, `map@[native code]`.
 * - React Native on Hermes: V8-like with `address at` before the location
 *   (`at fn (address at index.android.bundle:1:9876)`); the column is a bytecode offset
 *   that a Hermes source map maps like any column.
 *
 * Lines and columns are 1-based in all of these formats (as printed by the engines). A
 * line that is not a frame (`TypeError: boom`, blank, another language) has `frame: null`.
 */

export interface Frame {
  /** The function name as printed (`Object.<anonymous>`, `new Foo`, or null when absent). */
  function: string | null
  /** URL or path of the script, as printed. */
  file: string
  /** 1-based; null for frames without a position (native code). */
  line: number | null
  /** 1-based; null when absent. */
  column: number | null
}

export interface StackLine {
  /** The line as stored, trimmed. */
  raw: string
  frame: Frame | null
}

const V8 = /^at\s+(.*)$/
// "fn (location)" where location is the last parenthesised group of the line.
const V8_CALL = /^(.*?)\s*\((.*)\)$/
const GECKO = /^([^@\s(]*(?:\s[^@\s(]+)*)@(.+)$/
const POSITION = /^(.*?):(\d+)(?::(\d+))?$/
const BARE_LOCATION = /^(?:[a-z][a-z0-9+.-]*:\/\/|\/)\S*:\d+(?::\d+)?$/i

export function parseStack(stack: string): StackLine[] {
  const out: StackLine[] = []
  for (const line of stack.split('\n')) {
    const raw = line.trim()
    if (raw === '') continue
    out.push({ raw, frame: parseFrame(raw) })
  }
  return out
}

export function parseFrame(raw: string): Frame | null {
  const v8 = V8.exec(raw)
  if (v8) return parseV8(v8[1] as string)
  const gecko = GECKO.exec(raw)
  if (gecko) {
    const frame = location(gecko[1] || null, gecko[2] as string)
    // "fn@where" is a frame only with a position or in native code ("map@[native code]").
    if (frame && (frame.line !== null || frame.file === '[native code]')) return frame
    return null
  }
  if (BARE_LOCATION.test(raw)) return location(null, raw)
  return null
}

function parseV8(rest: string): Frame | null {
  const call = V8_CALL.exec(rest)
  if (call) {
    let fn = (call[1] as string).trim()
    // The location of an eval frame nests another call: "eval at fn (url:1:2), <anonymous>:1:3".
    const loc = call[2] as string
    fn = fn.replace(/^async\s+/, '')
    return location(fn === '' ? null : fn, loc)
  }
  return location(null, rest)
}

function location(fn: string | null, loc: string): Frame | null {
  let where = loc.trim().replace(/^address at\s+/, '')
  if (where === '') return null
  const m = POSITION.exec(where)
  if (!m) {
    // Native and anonymous frames have no position: kept as frames so callers can see them.
    return { function: fn, file: where, line: null, column: null }
  }
  where = m[1] as string
  return {
    function: fn,
    file: where,
    line: Number(m[2]),
    column: m[3] === undefined ? null : Number(m[3]),
  }
}
