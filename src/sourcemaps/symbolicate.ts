/**
 * Maps a minified stack back to original positions, pure: the stack, the maps uploaded for
 * the event's release, and a loader that turns a map reference into a position lookup
 * (the I/O and the cache live in maps.worker.ts, on a source-map thread).
 *
 * Per frame: the map is chosen by file name or URL path (match.ts); the frame's 1-based
 * line and column are looked up (the nearest mapping at or before the column, else the
 * next one on the line); the answer carries the original file, 1-based line and column,
 * the mapping's name, the original function name and, when the map carries
 * `sourcesContent`, a few lines of source around the line.
 *
 * The original function name: most maps (Bun's, for one) carry no names for functions, and
 * a frame's position is inside the function, not at its name. The caller's frame, though,
 * points at the call: the mapped name there, or the identifier at that original position
 * (`formatCity` in `formatCity(user)`), names the function of the frame above it. The
 * outermost mapped frame has no mapped caller; for it the nearest enclosing declaration in
 * the original source is used (`function foo(`, `foo = (...) =>`, `foo(...) {`).
 *
 * Returns null when no frame maps, so callers add nothing to events without maps.
 */
import { type MapRef, matchMap } from './match'
import { parseStack } from './stack'

export const CONTEXT_LINES = 5
const MAX_CONTEXT_CHARS = 240

export interface LookupResult {
  source: string
  /** 1-based. */
  line: number
  /** 0-based, as in the source map format. */
  column: number
  name: string | null
}

export interface LoadedMap {
  /** `line` 1-based, `column` 0-based (the format's convention). */
  lookup(line: number, column: number): LookupResult | null
  /** The original source split in lines, when the map carries its content. */
  sourceLines(source: string): readonly string[] | null
}

export interface SourceContext {
  /** 1-based line number of `pre[0]` (or of `line` when `pre` is empty). */
  start_line: number
  pre: string[]
  line: string
  post: string[]
}

export interface OriginalPosition {
  file: string
  /** 1-based. */
  line: number
  /** 1-based, like the columns engines print. */
  column: number
  /** The mapping's name at this position (an identifier), when the map has one. */
  name: string | null
  /** The original name of the function this frame is in, when it can be told. */
  function: string | null
  context: SourceContext | null
  sourcemap_id: number
}

export interface SymbolicatedFrame {
  /** The stack line as stored (trimmed). */
  raw: string
  /** The generated (minified) position as parsed; all null for a line that is not a frame. */
  function: string | null
  file: string | null
  line: number | null
  column: number | null
  original: OriginalPosition | null
}

export interface Symbolicated {
  release: string
  frames: SymbolicatedFrame[]
  mapped_frames: number
}

export function symbolicateStack<M extends MapRef>(
  stack: string,
  release: string,
  maps: readonly M[],
  load: (ref: M) => LoadedMap | null,
): Symbolicated | null {
  if (maps.length === 0) return null
  const loaded = new Map<number, LoadedMap | null>()
  const loadOnce = (ref: M) => {
    if (!loaded.has(ref.id)) loaded.set(ref.id, load(ref))
    return loaded.get(ref.id) ?? null
  }

  const frames: SymbolicatedFrame[] = []
  const sources: (readonly string[] | null)[] = []
  let mapped = 0
  for (const { raw, frame } of parseStack(stack)) {
    const out: SymbolicatedFrame = {
      raw,
      function: frame?.function ?? null,
      file: frame?.file ?? null,
      line: frame?.line ?? null,
      column: frame?.column ?? null,
      original: null,
    }
    let lines: readonly string[] | null = null
    if (frame && frame.line !== null) {
      const ref = matchMap(frame.file, maps)
      const map = ref ? loadOnce(ref) : null
      const hit = map?.lookup(frame.line, Math.max(0, (frame.column ?? 1) - 1))
      if (ref && map && hit) {
        lines = map.sourceLines(hit.source)
        out.original = {
          file: hit.source,
          line: hit.line,
          column: hit.column + 1,
          name: hit.name,
          function: null,
          context: lines ? contextAround(lines, hit.line, hit.column) : null,
          sourcemap_id: ref.id,
        }
        mapped++
      }
    }
    frames.push(out)
    sources.push(lines)
  }
  if (mapped === 0) return null
  nameFunctions(frames, sources)
  return { release, frames, mapped_frames: mapped }
}

/** Fills `original.function` from the caller's call site, else from the enclosing declaration. */
function nameFunctions(frames: SymbolicatedFrame[], sources: (readonly string[] | null)[]): void {
  const frameIdx = frames.flatMap((f, i) => (f.file !== null ? [i] : []))
  for (let k = 0; k < frameIdx.length; k++) {
    const i = frameIdx[k] as number
    const original = frames[i]?.original
    if (!original) continue
    const callerIdx = frameIdx[k + 1]
    const caller = callerIdx === undefined ? null : frames[callerIdx]?.original
    if (caller && callerIdx !== undefined) {
      const callerLines = sources[callerIdx] ?? null
      original.function =
        validName(caller.name) ??
        (callerLines ? identifierAt(callerLines[caller.line - 1] ?? '', caller.column - 1) : null)
    }
    if (original.function === null) {
      const lines = sources[i]
      if (lines) original.function = enclosingFunction(lines, original.line)
    }
  }
}

const IDENT = /[A-Za-z_$][\w$]*/y
const KEYWORDS = new Set([
  'new',
  'await',
  'return',
  'typeof',
  'void',
  'delete',
  'yield',
  'throw',
  'if',
  'for',
  'while',
  'switch',
  'catch',
  'with',
  'function',
  'class',
  'super',
  'this',
  'async',
  'call',
  'apply',
  'bind',
])

function validName(name: string | null): string | null {
  if (name === null || KEYWORDS.has(name) || !/^[A-Za-z_$][\w$]*$/.test(name)) return null
  return name
}

/** The callee named at a call site: the identifier at `column` (0-based), after `new`/`await`. */
export function identifierAt(line: string, column: number): string | null {
  let at = Math.min(Math.max(0, column), line.length)
  // Inside an identifier: back up to its start.
  while (at > 0 && /[\w$]/.test(line[at - 1] as string)) at--
  for (let guard = 0; guard < 3; guard++) {
    IDENT.lastIndex = at
    const m = IDENT.exec(line)
    if (!m) return null
    const word = m[0]
    if (word === 'new' || word === 'await') {
      at = m.index + word.length
      while (at < line.length && line[at] === ' ') at++
      continue
    }
    // `a.b.c(` names c: follow member accesses to the called name.
    let end = m.index + word.length
    let name = word
    while (line[end] === '.' || (line[end] === '?' && line[end + 1] === '.')) {
      end += line[end] === '.' ? 1 : 2
      IDENT.lastIndex = end
      const next = IDENT.exec(line)
      if (!next) break
      name = next[0]
      end = next.index + name.length
    }
    return validName(name)
  }
  return null
}

const DECLARATIONS = [
  /\bfunction\s*\*?\s*([A-Za-z_$][\w$]*)\s*[<(]/,
  /([A-Za-z_$][\w$]*)\s*[:=]\s*(?:async\s+)?function\b/,
  /([A-Za-z_$][\w$]*)\s*=\s*(?:async\s+)?(?:\([^)]*\)|[A-Za-z_$][\w$]*)\s*(?::\s*[^=]+)?=>/,
  /^\s*(?:(?:public|private|protected|static|async|override|readonly|get|set)\s+)*\*?\s*([A-Za-z_$][\w$]*)\s*(?:<[^>]*>)?\s*\([^)]*\)\s*(?::\s*[^{]+)?\{\s*$/,
]
const MAX_SCAN_LINES = 400
const indentOf = (s: string) => (/^\s*/.exec(s)?.[0].length ?? 0) as number

/** The nearest declaration above `line` (1-based) that is indented less than it. */
export function enclosingFunction(lines: readonly string[], line: number): string | null {
  const own = lines[line - 1]
  if (own === undefined) return null
  let limit = indentOf(own)
  for (let i = line - 1; i >= 0 && i >= line - MAX_SCAN_LINES; i--) {
    const text = lines[i] as string
    if (text.trim() === '') continue
    const indent = indentOf(text)
    // The frame's own line may itself declare the function (`const f = () => boom()`).
    if (i !== line - 1 && indent >= limit) continue
    for (const re of DECLARATIONS) {
      const m = re.exec(text)
      const name = m ? validName(m[1] ?? null) : null
      if (name) return name
    }
    if (i !== line - 1) limit = indent
    if (limit === 0) break
  }
  return null
}

function clip(text: string, around: number | null): string {
  if (text.length <= MAX_CONTEXT_CHARS) return text
  if (around === null) return `${text.slice(0, MAX_CONTEXT_CHARS)}…`
  const start = Math.max(0, Math.min(around - MAX_CONTEXT_CHARS / 2, text.length - MAX_CONTEXT_CHARS))
  return `${start > 0 ? '…' : ''}${text.slice(start, start + MAX_CONTEXT_CHARS)}${start + MAX_CONTEXT_CHARS < text.length ? '…' : ''}`
}

export function contextAround(lines: readonly string[], line: number, column: number): SourceContext | null {
  const idx = line - 1
  const text = lines[idx]
  if (text === undefined) return null
  const from = Math.max(0, idx - CONTEXT_LINES)
  return {
    start_line: from + 1,
    pre: lines.slice(from, idx).map((l) => clip(l, null)),
    line: clip(text, column),
    post: lines.slice(idx + 1, idx + 1 + CONTEXT_LINES).map((l) => clip(l, null)),
  }
}
