/**
 * Entry point of a source-map thread: everything that parses a map runs here, never on
 * the request thread. source-map-js's cost is superlinear for crafted input (many
 * segments at one position make its quicksort quadratic: a 5 MB map of `AAAA,` took
 * minutes), so the main thread only hands jobs over and, past the time budget, terminates
 * this thread (thread.ts). One job at a time, in arrival order.
 *
 * - validate: decode, parse and check an upload, then gzip and hash it for storage;
 * - symbolicate: map a stack through its release's maps, loading stored maps through the
 *   parsed-map cache; on a miss the job answers which maps it needs, and the main thread
 *   sends it again with their stored bytes (protocol.ts);
 * - invalidate / stats: the cache.
 */
import { readlinkSync } from 'node:fs'
import { setPriority } from 'node:os'
import { SizedLru } from './cache'
import { approximateBytes, InvalidSourceMap, loadedMap, parseSourceMap } from './parse'
import type { FromWorker, InitMessage, Job, ToWorker } from './protocol'
import { packSourceMap, type StoredRef, unpackSourceMap } from './store'
import { type LoadedMap, symbolicateStack } from './symbolicate'

declare const self: Worker

/**
 * Nice value of this thread. While a map is parsed the request thread may need the same
 * core (a 1-core VPS): at 10 the kernel gives it about nine tenths of that core, so ingest
 * and health hardly notice a parse, yet a genuine map still parses within its budget under
 * load. 19 would starve uploads whenever ingest is busy.
 */
const PARSE_NICE = 10

/** Lowers this thread's priority only: on Linux a thread id is a process id to setpriority(2). */
function lowerPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').at(-1))
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, PARSE_NICE)
  } catch {
    // No /proc (macOS) or not permitted: the thread runs at normal priority, still off the request thread.
  }
}
lowerPriority()

let init: InitMessage | null = null
let cache = new SizedLru<number, LoadedMap>(0)
let skip = new Map<number, string>()

const send = (m: FromWorker, transfer: Transferable[] = []) => self.postMessage(m, transfer)

/** A stored map, parsed: from the cache, else from `data` (its stored bytes); else it is `need`ed. */
function load(
  jobId: number,
  ref: StoredRef,
  data: ReadonlyMap<number, Uint8Array<ArrayBuffer>>,
  need: Set<number>,
): LoadedMap | null {
  if (skip.get(ref.id) === ref.sha256) return null
  const hit = cache.get(ref.id, ref.sha256)
  if (hit) return hit
  const bytes = data.get(ref.id)
  if (!bytes) {
    need.add(ref.id)
    return null
  }
  send({ type: 'parsing', id: jobId, map: { id: ref.id, sha256: ref.sha256 } })
  try {
    const text = unpackSourceMap(bytes)
    const parsed = parseSourceMap(text, { maxMappings: (init as InitMessage).maxMappings })
    const map = loadedMap(parsed.consumer)
    cache.set(ref.id, ref.sha256, map, approximateBytes(text.length, parsed.mappings))
    return map
  } catch (err) {
    // Validated on upload, so a damaged row or a map stored under other limits: skip it.
    skip.set(ref.id, ref.sha256)
    send({
      type: 'log',
      level: 'warn',
      msg: 'stored source map cannot be parsed; frames it covers stay unmapped',
      fields: { id: ref.id, error: (err as Error).message },
    })
    return null
  }
}

/** A job's result, and what to transfer rather than copy. */
function run(id: number, job: Job): { result: unknown; transfer: Transferable[] } {
  switch (job.type) {
    case 'validate': {
      const text = new TextDecoder().decode(job.bytes)
      const parsed = parseSourceMap(text, { maxMappings: (init as InitMessage).maxMappings })
      const packed = packSourceMap(job.bytes)
      return {
        result: { file: parsed.file, mappings: parsed.mappings, packed },
        transfer: [packed.data.buffer],
      }
    }
    case 'symbolicate': {
      const data = new Map(job.data.map((d) => [d.id, d.data]))
      const need = new Set<number>()
      const done = symbolicateStack(job.stack, job.release, job.refs, (ref) => load(id, ref, data, need))
      return { result: need.size > 0 ? { need: [...need] } : { done }, transfer: [] }
    }
    case 'stats':
      return { result: { bytes: cache.bytes, maps: cache.size }, transfer: [] }
  }
}

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const msg = ev.data
  switch (msg.type) {
    case 'init':
      init = msg
      cache = new SizedLru(msg.cacheBytes)
      skip = new Map(msg.skip.map((s) => [s.id, s.sha256]))
      return send({ type: 'ready' })
    case 'invalidate':
      skip.delete(msg.mapId)
      return cache.delete(msg.mapId)
    case 'close':
      return send({ type: 'closed' })
    default:
      try {
        const { result, transfer } = run(msg.id, msg)
        send({ type: 'result', id: msg.id, ok: true, result }, transfer)
      } catch (err) {
        const invalid = err instanceof InvalidSourceMap
        send({
          type: 'result',
          id: msg.id,
          ok: false,
          invalid,
          error: String((err as Error)?.message ?? err),
        })
      }
  }
}
