/**
 * Reading a source map with source-map-js (never hand-rolled): validation on upload, and
 * the position lookup symbolicate.ts uses. Everything here runs on a source-map thread
 * (maps.worker.ts): parsing is CPU-bound and, for crafted maps, far slower than linear. Both regular maps and indexed maps (`sections`,
 * as some bundlers emit for concatenated output) are accepted; source-map-js picks the
 * right consumer for each.
 */
import { SourceMapConsumer } from 'source-map-js'
import type { LoadedMap, LookupResult } from './symbolicate'

export class InvalidSourceMap extends Error {
  override name = 'InvalidSourceMap'
}

export interface ParsedMap {
  consumer: SourceMapConsumer
  /** The map's `file` field, when it has one. */
  file: string | null
  indexed: boolean
  /** Number of mapping segments (all sections). */
  mappings: number
}

export interface ParseLimits {
  /** Mapping segments the map may hold (all sections); checked before anything is decoded. */
  maxMappings: number
}

/**
 * Mapping segments in a `mappings` string, without decoding them: the pieces between `,`
 * and `;` that are not empty. Cheap (one pass over the text), so a map too large to hold
 * parsed is refused before source-map-js builds an object per segment.
 */
export function countSegments(mappings: string): number {
  let n = 0
  let inSegment = false
  for (let i = 0; i < mappings.length; i++) {
    const c = mappings.charCodeAt(i)
    if (c === 44 /* , */ || c === 59 /* ; */) inSegment = false
    else if (!inSegment) {
      inSegment = true
      n++
    }
  }
  return n
}

/** Segments of a regular map, or of every section of an indexed one (sections without inline maps count 0). */
function segmentsOf(obj: Record<string, unknown>): number {
  if (!Array.isArray(obj.sections)) return typeof obj.mappings === 'string' ? countSegments(obj.mappings) : 0
  let n = 0
  for (const section of obj.sections as unknown[]) {
    const map = (section as { map?: { mappings?: unknown } } | null)?.map
    if (typeof map?.mappings === 'string') n += countSegments(map.mappings)
  }
  return n
}

/**
 * Parses and fully validates a map: JSON, version 3, the segment count within `limits`,
 * then every mapping decoded (a broken VLQ or a mapping pointing past `sources` fails here
 * rather than when an event is read). CPU-heavy and, for some inputs, superlinear in
 * source-map-js: call it on a source-map thread (maps.worker.ts), never on the request thread.
 */
export function parseSourceMap(text: string, limits: ParseLimits): ParsedMap {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new InvalidSourceMap(`not JSON: ${(err as Error).message}`)
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InvalidSourceMap('expected a JSON object')
  }
  const obj = raw as Record<string, unknown>
  if (Number(obj.version) !== 3)
    throw new InvalidSourceMap(`expected "version": 3, got ${JSON.stringify(obj.version)}`)
  const indexed = Array.isArray(obj.sections)
  if (!indexed) {
    if (typeof obj.mappings !== 'string') throw new InvalidSourceMap('"mappings" must be a string')
    if (!Array.isArray(obj.sources)) throw new InvalidSourceMap('"sources" must be an array')
  }
  const segments = segmentsOf(obj)
  if (segments > limits.maxMappings) {
    throw new InvalidSourceMap(
      `too many mappings: ${segments} (sourcemaps.max_mappings is ${limits.maxMappings})`,
    )
  }
  let consumer: SourceMapConsumer
  let mappings = 0
  try {
    consumer = new SourceMapConsumer(obj as never)
    consumer.eachMapping(() => {
      mappings++
    })
  } catch (err) {
    throw new InvalidSourceMap((err as Error).message)
  }
  return {
    consumer,
    file: typeof obj.file === 'string' && obj.file !== '' ? obj.file : null,
    indexed,
    mappings,
  }
}

/** Approximate heap held by a parsed map: its text (UTF-16) plus the decoded mappings. */
export function approximateBytes(textLength: number, mappings: number): number {
  // Measured on real bundles: ~100 bytes per decoded mapping (both orderings), and the
  // retained strings (sources content) at two bytes per character.
  return textLength * 2 + mappings * 100
}

/** The position lookup over a parsed map, with the original sources split in lines on demand. */
export function loadedMap(consumer: SourceMapConsumer): LoadedMap {
  const lines = new Map<string, readonly string[] | null>()
  return {
    lookup(line, column): LookupResult | null {
      let p = consumer.originalPositionFor({ line, column, bias: SourceMapConsumer.GREATEST_LOWER_BOUND })
      if (p.source === null || p.line === null) {
        p = consumer.originalPositionFor({ line, column, bias: SourceMapConsumer.LEAST_UPPER_BOUND })
      }
      if (p.source === null || p.line === null) return null
      return { source: p.source, line: p.line, column: p.column ?? 0, name: p.name ?? null }
    },
    sourceLines(source) {
      if (!lines.has(source)) {
        const content = consumer.sourceContentFor(source, true)
        lines.set(source, typeof content === 'string' ? content.split(/\r?\n/) : null)
      }
      return lines.get(source) ?? null
    },
  }
}
