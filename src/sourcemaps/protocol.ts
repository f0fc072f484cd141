/**
 * Messages between the main thread (thread.ts, service.ts) and a source-map thread
 * (maps.worker.ts). Structured clone carries them; upload bytes and the compressed result
 * are transferred, not copied.
 */
import type { MapData, PackedMap, StoredRef } from './store'
import type { Symbolicated } from './symbolicate'

export interface InitMessage {
  type: 'init'
  cacheBytes: number
  maxMappings: number
  /** Maps that exceeded the time budget before: not parsed again. */
  skip: MapVersion[]
}

/** One stored map's content: its id and the hash of its text (a re-upload changes it). */
export interface MapVersion {
  id: number
  sha256: string
}

/** Parse and validate an upload, then compress and hash it for storage. */
export interface ValidateJob {
  type: 'validate'
  bytes: Uint8Array<ArrayBuffer>
}
export interface Validated {
  file: string | null
  mappings: number
  packed: PackedMap
}

/**
 * Symbolicate one stack with the maps of its release. A map the stack needs that is
 * neither in the thread's cache nor in `data` is asked for (`need`): the main thread reads
 * those maps' bytes through the storage seam and sends the job again with them, so the
 * thread needs no database connection of its own (the database may be a network one).
 */
export interface SymbolicateJob {
  type: 'symbolicate'
  release: string
  stack: string
  refs: StoredRef[]
  data: MapData[]
}
export type SymbolicateAnswer = { need: number[] } | { done: Symbolicated | null }

/** What the parsed-map cache holds (tests, metrics). */
export interface StatsJob {
  type: 'stats'
}
export interface CacheStats {
  bytes: number
  maps: number
}

export type Job = ValidateJob | SymbolicateJob | StatsJob
export interface JobResult {
  validate: Validated
  symbolicate: SymbolicateAnswer
  stats: CacheStats
}

/** Not a job: forgets a map (its parsed form, a past timeout) after a re-upload or delete; needs no answer. */
export interface InvalidateMessage {
  type: 'invalidate'
  mapId: number
}

export type ToWorker = InitMessage | (Job & { id: number }) | InvalidateMessage | { type: 'close' }

export type FromWorker =
  | { type: 'ready' }
  | { type: 'closed' }
  /** A job starts parsing one stored map: its time budget restarts, and names this map if exceeded. */
  | { type: 'parsing'; id: number; map: MapVersion }
  | { type: 'log'; level: 'warn' | 'error'; msg: string; fields: Record<string, unknown> }
  | { type: 'result'; id: number; ok: true; result: unknown }
  /** `invalid`: the map itself is at fault (an InvalidSourceMap), as opposed to a failure of the thread. */
  | { type: 'result'; id: number; ok: false; invalid: boolean; error: string }
