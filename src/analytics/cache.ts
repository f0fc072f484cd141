/**
 * The answer cache of the analytics endpoints. An answer is kept for
 * `analytics.cache_ttl_secs` and dropped earlier when the feed appends data of one of its
 * projects in the window's last hour (or later): that is where new events land, so a
 * cached answer never hides them once the feed has copied them. Data appended for older
 * hours (a catch-up) invalidates just the same; a rebuild clears everything. Bounded to
 * `MAX_ENTRIES`, the oldest entry going first.
 */

const MAX_ENTRIES = 256

interface Entry {
  value: unknown
  expiresAt: number
  projects: readonly string[]
  lastHour: number
  seq: number
}

export class AnswerCache {
  private entries = new Map<string, Entry>()
  private seq = 0
  /** Per project: the last append's sequence number and the latest hour appended since. */
  private appended = new Map<string, { seq: number; maxHour: number }>()

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.entries.size
  }

  get(key: string): unknown | undefined {
    const e = this.entries.get(key)
    if (!e) return undefined
    if (e.expiresAt <= this.now() || this.stale(e)) {
      this.entries.delete(key)
      return undefined
    }
    return e.value
  }

  set(key: string, value: unknown, projects: readonly string[], lastHour: number): void {
    if (this.ttlMs <= 0) return
    this.entries.delete(key)
    this.entries.set(key, { value, expiresAt: this.now() + this.ttlMs, projects, lastHour, seq: this.seq })
    while (this.entries.size > MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value as string
      this.entries.delete(oldest)
    }
  }

  /** The feed appended data: per project, the latest hour it touched. */
  noteAppend(touched: ReadonlyMap<string, number>): void {
    this.seq++
    for (const [project, hour] of touched) {
      const prev = this.appended.get(project)
      // Keep the latest hour seen since any older entry was made, so a later append of old
      // hours cannot hide an earlier append of recent ones.
      this.appended.set(project, { seq: this.seq, maxHour: Math.max(prev?.maxHour ?? hour, hour) })
    }
  }

  clear(): void {
    this.seq++
    this.entries.clear()
  }

  private stale(e: Entry): boolean {
    for (const p of e.projects) {
      const a = this.appended.get(p)
      if (a && a.seq > e.seq && a.maxHour >= e.lastHour) return true
    }
    return false
  }
}
