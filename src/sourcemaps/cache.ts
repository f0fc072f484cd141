/**
 * A least-recently-used cache bounded by an approximate byte budget rather than an entry
 * count: one parsed map of a large bundle weighs as much as hundreds of small ones. An
 * entry larger than the whole budget is not kept at all; a budget of 0 disables caching.
 */

interface Entry<V> {
  value: V
  bytes: number
  version: string
}

export class SizedLru<K, V> {
  // Map iteration order is insertion order: re-inserting on use keeps the oldest first.
  private entries = new Map<K, Entry<V>>()
  private used = 0

  constructor(private readonly budget: number) {}

  get bytes(): number {
    return this.used
  }
  get size(): number {
    return this.entries.size
  }

  /** The value stored under `key` for `version`; a different version is a miss and is dropped. */
  get(key: K, version: string): V | undefined {
    const e = this.entries.get(key)
    if (!e) return undefined
    this.entries.delete(key)
    if (e.version !== version) {
      this.used -= e.bytes
      return undefined
    }
    this.entries.set(key, e)
    return e.value
  }

  set(key: K, version: string, value: V, bytes: number): void {
    this.delete(key)
    if (bytes > this.budget) return
    this.entries.set(key, { value, bytes, version })
    this.used += bytes
    for (const [k, e] of this.entries) {
      if (this.used <= this.budget) break
      this.entries.delete(k)
      this.used -= e.bytes
    }
  }

  delete(key: K): void {
    const e = this.entries.get(key)
    if (!e) return
    this.entries.delete(key)
    this.used -= e.bytes
  }
}
