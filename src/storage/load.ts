/**
 * How busy ingest keeps the writer, across every BatchQueue: what background writers (the
 * retention sweeper) look at before taking their turn. Each queue registers itself when it
 * is made and reports each commit, so a feature that adds a queue is yielded to without
 * anyone else knowing it exists.
 *
 * - `active()`: some queue committed within the last `ACTIVE_WINDOW_MS`.
 * - `idle()`: resolves once no queue has a request waiting or a commit in flight.
 * - `bufferUsage()`: the fullest queue's depth over its capacity (the health answer).
 */

/** What the load needs of a queue (BatchQueue has it). */
export interface LoadSource {
  readonly name: string
  readonly depth: number
  readonly capacity: number
  /** Nothing waiting and no commit in flight. */
  readonly idle: boolean
  drain(): Promise<void>
}

/** Ingest counts as active while a queue committed within this window. */
export const ACTIVE_WINDOW_MS = 1000

export class WriterLoad {
  private readonly sources: LoadSource[] = []
  private lastCommit = Number.NEGATIVE_INFINITY

  constructor(private readonly clock: () => number = () => performance.now()) {}

  register(source: LoadSource): void {
    if (this.sources.some((s) => s.name === source.name))
      throw new Error(`expected one queue named ${source.name}, got a second`)
    this.sources.push(source)
  }

  /** Called by a queue after each commit. */
  committed(): void {
    this.lastCommit = this.clock()
  }

  active(): boolean {
    return this.clock() - this.lastCommit < ACTIVE_WINDOW_MS
  }

  /** Resolves when every queue is idle at the same moment (drained one after another). */
  async idle(): Promise<void> {
    for (;;) {
      await Promise.all(this.sources.map((s) => s.drain()))
      if (this.sources.every((s) => s.idle)) return
    }
  }

  bufferUsage(): number {
    let usage = 0
    for (const s of this.sources) usage = Math.max(usage, s.depth / s.capacity)
    return usage
  }

  get queues(): readonly LoadSource[] {
    return this.sources
  }
}
