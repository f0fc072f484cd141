/**
 * The main thread's side of source maps: validation of uploads and symbolication of stored
 * stacks, both done on source-map threads (maps.worker.ts) under a time budget, so no map,
 * however crafted, can stall the request thread (health, ingest acks).
 *
 * - Uploads go to one thread, reads to another: a hostile upload being parsed until its
 *   budget runs out neither delays issue pages nor costs them the parsed-map cache.
 * - The read thread holds the cache of parsed maps within `sourcemaps.cache_bytes`, keyed
 *   by map id and versioned by content hash, so a re-upload is never served stale.
 * - A stored map that exceeds the budget at read time (one stored before these limits, or
 *   parsed on a much busier machine than at upload) is remembered by id and hash: the thread
 *   is replaced, the read retried without it, and later reads skip it until it is
 *   re-uploaded or the server restarts. Its frames stay unmapped; the raw stack is always kept.
 * - The read thread has no database connection: a job that needs maps its cache lacks
 *   answers which, and is sent again with their stored (compressed) bytes, read here
 *   through the storage seam. A warm cache costs one round, a cold one two.
 */
import type { Logger } from '../ops/log'
import type { Queryable } from '../storage/backend'
import { InvalidSourceMap } from './parse'
import type { CacheStats, InitMessage, MapVersion, Validated } from './protocol'
import { type MapData, mapData, refsForRelease, type StoredRef } from './store'
import type { Symbolicated } from './symbolicate'
import { JobRejected, MapThread, ThreadTimeout } from './thread'

/** Uploads waiting for validation: each holds up to `max_bytes`; CI uploads one file at a time. */
const MAX_WAITING_UPLOADS = 4
/** Reads waiting for the read thread: beyond it a read is answered without symbolication. */
const MAX_WAITING_READS = 1000

export interface SourceMapsOptions {
  cacheBytes: number
  maxMappings: number
  timeoutMs: number
  log: Logger
}

export class SourceMaps {
  /** Maps that exceeded the budget at read time, by id, with the hash of the content that did. */
  private readonly unparseable = new Map<number, string>()
  private readonly uploads: MapThread
  private readonly reads: MapThread

  constructor(
    private readonly backend: Queryable,
    private readonly o: SourceMapsOptions,
  ) {
    const init = (cacheBytes: number): InitMessage => ({
      type: 'init',
      cacheBytes,
      maxMappings: o.maxMappings,
      skip: [...this.unparseable].map(([id, sha256]) => ({ id, sha256 })),
    })
    this.uploads = new MapThread({
      name: 'upload',
      init: () => init(0),
      timeoutMs: o.timeoutMs,
      maxWaiting: MAX_WAITING_UPLOADS,
      log: o.log,
    })
    this.reads = new MapThread({
      name: 'read',
      init: () => init(o.cacheBytes),
      timeoutMs: o.timeoutMs,
      maxWaiting: MAX_WAITING_READS,
      log: o.log,
      onTimeout: (map: MapVersion | null) => {
        if (map) this.unparseable.set(map.id, map.sha256)
      },
    })
  }

  /**
   * Parses and checks an upload on the upload thread, and compresses it for storage.
   * `bytes` is transferred to the thread (unusable afterwards). Throws InvalidSourceMap for
   * a broken or oversized map, ThreadTimeout past the budget, ThreadBusy when uploads queue.
   */
  async validate(bytes: Uint8Array<ArrayBuffer>): Promise<Validated> {
    try {
      return await this.uploads.run({ type: 'validate', bytes }, [bytes.buffer])
    } catch (err) {
      if (err instanceof JobRejected) throw new InvalidSourceMap(err.message)
      throw err
    }
  }

  /** The stack mapped through its release's maps, or null (what the errors feature reads through). */
  symbolicate = async (
    projectId: string,
    release: string,
    stack: string | null,
  ): Promise<Symbolicated | null> => {
    if (!stack) return null
    const all = await refsForRelease(this.backend, projectId, release)
    // One retry per map that can time out: each timeout removes that map from the next attempt.
    for (let attempt = 0; attempt <= all.length; attempt++) {
      const refs = all.filter((r) => this.unparseable.get(r.id) !== r.sha256)
      if (refs.length === 0) return null
      try {
        return await this.withMaps(release, stack, refs)
      } catch (err) {
        if (err instanceof ThreadTimeout && err.map) continue
        this.o.log.warn('stack not symbolicated', {
          project_id: projectId,
          release,
          error: (err as Error).message,
        })
        return null
      }
    }
    return null
  }

  /**
   * Runs the job, sending the stored bytes of the maps the thread asks for. The maps sent
   * only grow from round to round (a map parsed this job may push another out of the
   * cache), so this ends after at most one round per map.
   */
  private async withMaps(release: string, stack: string, refs: StoredRef[]) {
    const sent = new Set<number>()
    let data: MapData[] = []
    for (;;) {
      const answer = await this.reads.run({ type: 'symbolicate', release, stack, refs, data })
      if ('done' in answer) return answer.done
      const more = answer.need.filter((id) => !sent.has(id))
      // Maps deleted since the refs were read: frames they covered stay unmapped.
      if (more.length === 0) refs = refs.filter((r) => !answer.need.includes(r.id))
      for (const id of answer.need) sent.add(id)
      data = await mapData(this.backend, [...sent])
      const stored = new Set(data.map((d) => d.id))
      refs = refs.filter((r) => !sent.has(r.id) || stored.has(r.id))
    }
  }

  /** Forgets a map's parsed form and any past timeout (after a re-upload or delete). */
  invalidate(id: number): void {
    this.unparseable.delete(id)
    this.reads.tell({ type: 'invalidate', mapId: id })
  }

  /** What the read thread's cache holds (starts the thread if it is not running). */
  cacheStats(): Promise<CacheStats> {
    return this.reads.run({ type: 'stats' })
  }

  async close(): Promise<void> {
    await Promise.all([this.uploads.close(), this.reads.close()])
  }
}
