/**
 * Reading a source map with source-map-js (never hand-rolled): validation on upload, and
 * the position lookup symbolicate.ts uses. Both regular maps and indexed maps (`sections`,
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

/**
 * Parses and fully validates a map: JSON, version 3, then every mapping decoded (a broken
 * VLQ or a mapping pointing past `sources` fails here rather than when an event is read).
 */
export function parseSourceMap(text: string): ParsedMap {
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
