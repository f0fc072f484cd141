/**
 * A sliding event counter for one threshold or spike rule: a fixed ring of time buckets,
 * so memory is constant (at most MAX_BUCKETS + 2 numbers, ~58 KB) whatever the event rate.
 *
 * Resolution: buckets are one second wide while the rule's horizon (its window, or a
 * spike's baseline + compare windows) is at most MAX_BUCKETS seconds (two hours, so an
 * hour's baseline against the last minutes stays exact); longer horizons use wider
 * buckets (horizon / 7200, e.g. 12 s for a one-day window), and a window is then rounded
 * to whole buckets. Within one-second buckets the window is exact
 * for events on whole seconds: an event at second `t` counts while `now < t + window`.
 *
 * Pure: time is always passed in; nothing here reads a clock.
 */
export const MAX_BUCKETS = 7200

export class SlidingCounter {
  readonly bucketMs: number
  private readonly slots: Float64Array
  /** Absolute bucket number of the newest slot written. */
  private head = Number.NEGATIVE_INFINITY

  constructor(readonly horizonSecs: number) {
    if (!Number.isInteger(horizonSecs) || horizonSecs < 1)
      throw new Error(`expected a horizon of at least 1 second, got ${horizonSecs}`)
    const bucketSecs = Math.max(1, Math.ceil(horizonSecs / MAX_BUCKETS))
    this.bucketMs = bucketSecs * 1000
    // Two spare slots: rounding each of two adjacent windows can add one bucket.
    this.slots = new Float64Array(Math.ceil(horizonSecs / bucketSecs) + 2)
  }

  private bucketOf(ms: number): number {
    return Math.floor(ms / this.bucketMs)
  }

  private slot(bucket: number): number {
    const n = this.slots.length
    return ((bucket % n) + n) % n
  }

  /** Records `n` events received at `atMs`. Events older than the ring are ignored. */
  add(atMs: number, n = 1): void {
    const b = this.bucketOf(atMs)
    const size = this.slots.length
    if (b > this.head) {
      if (b - this.head >= size) this.slots.fill(0)
      else for (let x = this.head + 1; x <= b; x++) this.slots[this.slot(x)] = 0
      this.head = b
    }
    if (b <= this.head - size) return
    this.slots[this.slot(b)] = (this.slots[this.slot(b)] as number) + n
  }

  /** Window lengths in whole buckets (at least one). */
  buckets(secs: number): number {
    return Math.max(1, Math.round((secs * 1000) / this.bucketMs))
  }

  /**
   * Events in the `windowSecs` ending `offsetSecs` before the bucket holding `nowMs`
   * (offset 0: the trailing window, the current bucket included).
   */
  count(nowMs: number, windowSecs: number, offsetSecs = 0): number {
    const last = this.bucketOf(nowMs) - (offsetSecs > 0 ? this.buckets(offsetSecs) : 0)
    const first = last - this.buckets(windowSecs) + 1
    const lo = Math.max(first, this.head - this.slots.length + 1)
    const hi = Math.min(last, this.head)
    let total = 0
    for (let b = lo; b <= hi; b++) total += this.slots[this.slot(b)] as number
    return total
  }
}
