/**
 * `services.symbolicate`: looks up the maps of an event's own release, loads the matching
 * ones through a cache of parsed maps, and runs the pure symbolication (symbolicate.ts).
 *
 * The cache holds parsed source-map-js consumers within `sourcemaps.cache_bytes`
 * (approximate heap, least recently used out first). Entries are keyed by map id and
 * versioned by the content hash, so a re-upload is never served stale even before the
 * upload route drops the old entry; a delete drops it too.
 */
import type { Logger } from '../ops/log'
import type { Db } from '../storage/db'
import { SizedLru } from './cache'
import { approximateBytes, loadedMap, parseSourceMap } from './parse'
import { readSourceMapText, refsForRelease, type StoredRef } from './store'
import { type LoadedMap, type Symbolicated, symbolicateStack } from './symbolicate'

export class Symbolicator {
  private readonly cache: SizedLru<number, LoadedMap>

  constructor(
    private readonly db: Db,
    cacheBytes: number,
    private readonly log: Logger,
  ) {
    this.cache = new SizedLru(cacheBytes)
  }

  get cachedBytes(): number {
    return this.cache.bytes
  }
  get cachedMaps(): number {
    return this.cache.size
  }

  symbolicate = (projectId: string, release: string, stack: string | null): Symbolicated | null => {
    if (!stack) return null
    const refs = refsForRelease(this.db, projectId, release)
    if (refs.length === 0) return null
    return symbolicateStack(stack, release, refs, (ref) => this.load(ref))
  }

  /** Drops a map's parsed form (after a re-upload or delete). */
  invalidate(id: number): void {
    this.cache.delete(id)
  }

  private load(ref: StoredRef): LoadedMap | null {
    const hit = this.cache.get(ref.id, ref.sha256)
    if (hit) return hit
    const text = readSourceMapText(this.db, ref.id)
    if (text === null) return null
    try {
      const parsed = parseSourceMap(text)
      const map = loadedMap(parsed.consumer)
      this.cache.set(ref.id, ref.sha256, map, approximateBytes(text.length, parsed.mappings))
      return map
    } catch (err) {
      // Validated on upload, so this is a damaged row: report it, skip the map.
      this.log.warn('stored source map cannot be parsed', { id: ref.id, error: (err as Error).message })
      return null
    }
  }
}
