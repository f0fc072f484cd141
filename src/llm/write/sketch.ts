/**
 * Latency sketches: log-bucket histograms of millisecond values, stored in the hourly
 * rollups (`latency_sketch`, `ttft_sketch`, `duration_sketch`). Pure.
 *
 * Why this shape: percentiles must come from the rollups (a 30-day p99 over millions of
 * spans cannot rescan the spans), and the rollups must stay exact when a span is re-sent,
 * updated or pruned. Bucket counts are both mergeable (hours add up) and subtractable (a
 * re-sent span takes its old bucket out), which t-digest and reservoir samples are not.
 *
 * Buckets (the DDSketch mapping): value 0 has bucket 0; a value v >= 1 ms falls in bucket
 * k + 1 where k = ceil(log_gamma(v)), covering (gamma^(k-1), gamma^k]. A bucket reports
 * 2 gamma^k / (gamma + 1), which is within ALPHA of every value it covers, so a
 * percentile read from the sketch is within ALPHA relative error of the exact value of the
 * same rank. ALPHA sits a little under 1% to keep floating point at the bucket edges from
 * pushing an answer over 1%. A month in milliseconds needs about 800 buckets; a typical
 * hour of one model uses a few dozen (8 bytes each).
 *
 * Ranks: nearest rank, the k-th smallest of n for k = ceil(q n) (at least 1): p99 of 100
 * values is the 99th. The exact percentile of test/unit/llm.sketch.test.ts uses the same rule.
 */

export const ALPHA = 0.0095
const GAMMA = (1 + ALPHA) / (1 - ALPHA)
const LOG_GAMMA = Math.log(GAMMA)

/** Bucket index -> count. Deltas may hold negative counts; stored sketches never do. */
export type Buckets = Map<number, number>

export function bucketOf(ms: number): number {
  if (!(ms >= 1)) return 0
  return Math.ceil(Math.log(ms) / LOG_GAMMA) + 1
}

export function bucketValue(bucket: number): number {
  if (bucket <= 0) return 0
  return (2 * GAMMA ** (bucket - 1)) / (GAMMA + 1)
}

/** Adds `sign` (1 or -1) observations of `ms` to `into`. */
export function addValue(into: Buckets, ms: number, sign = 1): void {
  const b = bucketOf(ms)
  into.set(b, (into.get(b) ?? 0) + sign)
}

export function merge(into: Buckets, delta: Buckets): void {
  for (const [b, n] of delta) into.set(b, (into.get(b) ?? 0) + n)
}

/** Stored form: little-endian int32 pairs (bucket, count), buckets ascending, no zero counts. */
export function encode(b: Buckets): Uint8Array | null {
  const keys = [...b.keys()].filter((k) => b.get(k) !== 0).sort((x, y) => x - y)
  if (keys.length === 0) return null
  const out = new Int32Array(keys.length * 2)
  keys.forEach((k, i) => {
    const n = b.get(k) as number
    if (n < 0) throw new Error(`expected a non-negative count in bucket ${k} of a stored sketch, got ${n}`)
    out[2 * i] = k
    out[2 * i + 1] = n
  })
  return new Uint8Array(out.buffer)
}

/**
 * `encode(decode(blob) + delta)` without building the Map: the stored pairs are already in
 * bucket order, so one merge pass with the delta's few sorted buckets gives the new blob.
 * The rollup flush does this per touched row per batch; decoding every bucket of a busy
 * hour into a Map and sorting it again was most of a small batch's JavaScript time.
 */
export function mergeEncoded(blob: Uint8Array | null | undefined, delta: Buckets): Uint8Array | null {
  const stored = pairsOf(blob)
  const keys = [...delta.keys()].sort((x, y) => x - y)
  const out = new Int32Array(stored.length + keys.length * 2)
  let i = 0
  let j = 0
  let o = 0
  while (i < stored.length || j < keys.length) {
    const sk = i < stored.length ? (stored[i] as number) : Number.POSITIVE_INFINITY
    const dk = j < keys.length ? (keys[j] as number) : Number.POSITIVE_INFINITY
    let k: number
    let n: number
    if (sk < dk) {
      k = sk
      n = stored[i + 1] as number
      i += 2
    } else if (dk < sk) {
      k = dk
      n = delta.get(dk) as number
      j++
    } else {
      k = sk
      n = (stored[i + 1] as number) + (delta.get(dk) as number)
      i += 2
      j++
    }
    if (n === 0) continue
    if (n < 0) throw new Error(`expected a non-negative count in bucket ${k} of a stored sketch, got ${n}`)
    out[o++] = k
    out[o++] = n
  }
  if (o === 0) return null
  return new Uint8Array(out.buffer.slice(0, o * 4))
}

/** The stored pairs as int32s (a copy when the blob is not 4-byte aligned). */
function pairsOf(blob: Uint8Array | null | undefined): Int32Array {
  if (!blob || blob.byteLength === 0) return new Int32Array(0)
  if (blob.byteLength % 8 !== 0)
    throw new Error(`expected a sketch of 8-byte pairs, got ${blob.byteLength} bytes`)
  if (blob.byteOffset % 4 === 0) return new Int32Array(blob.buffer, blob.byteOffset, blob.byteLength / 4)
  return new Int32Array(blob.slice().buffer)
}

export function decode(blob: Uint8Array | null | undefined): Buckets {
  const b: Buckets = new Map()
  if (!blob || blob.byteLength === 0) return b
  if (blob.byteLength % 8 !== 0)
    throw new Error(`expected a sketch of 8-byte pairs, got ${blob.byteLength} bytes`)
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength)
  for (let i = 0; i < blob.byteLength; i += 8) b.set(view.getInt32(i, true), view.getInt32(i + 4, true))
  return b
}

export function count(b: Buckets): number {
  let n = 0
  for (const c of b.values()) n += c
  return n
}

/** The nearest-rank position (1-based) of quantile q (0-1) among n values. */
export const rankOf = (q: number, n: number) => Math.min(n, Math.max(1, Math.ceil(q * n)))

/** The q-quantile (0-1) of the sketch, or null when it is empty. */
export function quantile(b: Buckets, q: number): number | null {
  const n = count(b)
  if (n <= 0) return null
  const rank = rankOf(q, n)
  let seen = 0
  for (const k of [...b.keys()].sort((x, y) => x - y)) {
    seen += b.get(k) as number
    if (seen >= rank) return bucketValue(k)
  }
  return bucketValue(Math.max(...b.keys()))
}

/** Merges stored sketches (the hours of a window) into one. */
export function mergeBlobs(blobs: Iterable<Uint8Array | null | undefined>): Buckets {
  const into: Buckets = new Map()
  for (const blob of blobs) merge(into, decode(blob))
  return into
}
