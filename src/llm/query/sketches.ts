/**
 * Merging many stored latency sketches fast. A 720-hour window of six models is about
 * 5,000 sketches; decoding each into a Map (src/llm/write/sketch.ts's `mergeBlobs`) took
 * 70 ms there, most of it hashing. Bucket indexes are small integers (a month in
 * milliseconds is under 1,200 buckets), so counts add into one dense array read straight
 * from the stored little-endian (bucket, count) pairs. Percentiles follow the sketch's
 * own rule (nearest rank, a bucket's reported value) so both readers agree.
 */
import { bucketValue, rankOf } from '../write/sketch'

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

export class DenseSketch {
  private counts = new Float64Array(2048)
  total = 0

  add(blob: Uint8Array | null | undefined): void {
    if (!blob || blob.byteLength === 0) return
    if (blob.byteLength % 8 !== 0)
      throw new Error(`expected a sketch of 8-byte pairs, got ${blob.byteLength} bytes`)
    // The stored pairs are little-endian, as the machine's own integers are on x86 and
    // ARM: an aligned blob is read as an Int32Array without copying, else through a DataView.
    const ints =
      LITTLE_ENDIAN && blob.byteOffset % 4 === 0
        ? new Int32Array(blob.buffer, blob.byteOffset, blob.byteLength / 4)
        : null
    const view = ints ? null : new DataView(blob.buffer, blob.byteOffset, blob.byteLength)
    for (let i = 0; i < blob.byteLength; i += 8) {
      const bucket = ints ? (ints[i >> 2] as number) : (view as DataView).getInt32(i, true)
      const n = ints ? (ints[(i >> 2) + 1] as number) : (view as DataView).getInt32(i + 4, true)
      if (bucket < 0) throw new Error(`expected a non-negative bucket index, got ${bucket}`)
      if (bucket >= this.counts.length) {
        const grown = new Float64Array(Math.max(bucket + 1, this.counts.length * 2))
        grown.set(this.counts)
        this.counts = grown
      }
      this.counts[bucket] = (this.counts[bucket] as number) + n
      this.total += n
    }
  }

  /** The q-quantile (0-1), or null when empty. */
  quantile(q: number): number | null {
    if (this.total <= 0) return null
    const rank = rankOf(q, this.total)
    let seen = 0
    let last = 0
    for (let b = 0; b < this.counts.length; b++) {
      const n = this.counts[b] as number
      if (n === 0) continue
      seen += n
      last = b
      if (seen >= rank) return bucketValue(b)
    }
    return bucketValue(last)
  }
}
