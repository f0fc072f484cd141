/**
 * The process-wide budget of memory spent undoing Content-Encoding. Pure bookkeeping: no
 * I/O, no timers.
 *
 * The per-request cap (`sentry.max_decompressed_bytes`) bounds one inflation, not how many
 * run at once: a few KB of brotli each reach the cap and hold an inflater window besides,
 * so a few hundred concurrent bombs, which need no credentials (the key may sit inside the
 * compressed envelope), took a server from 114 MB to 1.6 GB. Every inflation
 * therefore takes its bytes from one shared budget as it goes: the inflater's working
 * memory before it starts, then each output chunk before it is kept. When the budget is
 * spent the request is refused at once (the caller answers 429 with Retry-After, which
 * Sentry SDKs obey), not queued: waiting requests would hold their bodies and sockets,
 * which is the memory this protects.
 *
 * A request takes through one `Lease` and gives everything back with `release()` when it
 * is answered; the decoded body stays charged until then, because it stays in memory
 * until then.
 */

/** A take's outcome: taken, refused while the budget is spent, or refused because this request alone would exceed it. */
export type Take = 'ok' | 'busy' | 'never'

export class DecompressionBudget {
  #used = 0

  constructor(readonly capacity: number) {
    if (!(capacity > 0)) throw new Error(`expected a positive decompression budget, got ${capacity}`)
  }

  /** Bytes taken by requests not yet answered. */
  get used(): number {
    return this.#used
  }

  lease(): Lease {
    return new Lease(this, (delta) => {
      this.#used += delta
    })
  }
}

export class Lease {
  #held = 0

  constructor(
    private readonly budget: DecompressionBudget,
    private readonly move: (delta: number) => void,
  ) {}

  /** Bytes this request holds. */
  get held(): number {
    return this.#held
  }

  /** Takes `bytes` if the budget has them; 'never' when this request alone would exceed it. */
  take(bytes: number): Take {
    if (this.#held + bytes > this.budget.capacity) return 'never'
    if (this.budget.used + bytes > this.budget.capacity) return 'busy'
    this.#held += bytes
    this.move(bytes)
    return 'ok'
  }

  /** Gives back part of what was taken (an inflater's memory, once it is closed). */
  give(bytes: number): void {
    const n = Math.min(bytes, this.#held)
    this.#held -= n
    this.move(-n)
  }

  /** Gives back everything; taking again afterwards starts from zero. */
  release(): void {
    this.give(this.#held)
  }
}
