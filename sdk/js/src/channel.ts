/**
 * Delivery of one kind of item (error events or LLM traces) to its batch endpoint.
 *
 * Contract:
 * - Buffer: at most `maxQueue` items in memory; when full the oldest is dropped (the
 *   newest report is the one being debugged) and counted in `dropped`.
 * - Flush triggers: `maxBatch` items buffered, `intervalMs` after the first buffered item,
 *   an explicit flush()/close(), and page hide (browser) or process exit (Node).
 * - One request carries at most `maxBatch` items and `maxBytes` of body; requests are sent
 *   one after another, never in parallel, so a slow or refusing server sees one at a time.
 * - Signed: `X-Signature` = hex HMAC-SHA256 of the exact body, `X-Project-Key` = the key.
 * - Retry: a network failure, 408, 429 and any 5xx keep the batch at the head of the
 *   queue and retry after `Retry-After` when the server sends one (429/503), otherwise
 *   after an exponential backoff (1 s doubling to 60 s, with jitter). A 5xx/429 batch is
 *   given up after `maxAttempts` tries; network failures are not counted (offline is not
 *   the batch's fault). Any other 4xx drops the batch: sending it again cannot succeed.
 * - Offline: with a storage adapter, the unsent queue (its newest items within
 *   `maxStoredChars`) is saved after a failed send and at page hide, and loaded (ahead of new items) at start, so it is replayed after a reload.
 *   Delivery is at least once: a page that dies after the server accepted a batch but
 *   before the answer arrived replays it.
 * - Never throws into the caller; failures go to the `onError` hook.
 */
import type { Signer } from './hmac'

export interface OfflineStorage {
  getItem(key: string): string | null | Promise<string | null>
  setItem(key: string, value: string): void | Promise<void>
  removeItem(key: string): void | Promise<void>
}

export interface Answer {
  /** HTTP status, 0 when the request did not reach the server. */
  status: number
  retryAfterMs?: number
  body?: unknown
}

export interface ChannelOptions {
  endpoint: string
  projectKey: string
  /** Batch route, e.g. /v1/ingest/batch, and the body's array key. */
  path: string
  /** Route for a single item sent as the whole body (e.g. /v1/ingest), if the server has one. */
  singlePath?: string
  key: string
  maxBatch: number
  maxBytes: number
  maxQueue: number
  intervalMs: number
  maxAttempts: number
  signer: Signer
  fetch: typeof fetch
  storage?: OfflineStorage
  storageKey: string
  /** Characters of JSON the offline queue may take in storage; the oldest items past it are not saved. */
  maxStoredChars: number
  now: () => number
  onError: (message: string) => void
}

const encoder = new TextEncoder()
/** A keepalive request (page hide) may carry at most 64 KiB in flight in Chromium. */
export const KEEPALIVE_BYTES = 60_000

/** Parses Retry-After (seconds or an HTTP date) into ms from now, or undefined. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (!header) return undefined
  const secs = Number(header)
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000
  const at = Date.parse(header)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

export function backoffMs(attempt: number, random = Math.random()): number {
  const base = Math.min(60_000, 1000 * 2 ** Math.max(0, attempt - 1))
  return Math.round(base * (0.75 + random * 0.5))
}

/**
 * A pending flush must not keep a process alive (Node and Bun timers have unref(), Deno
 * has Deno.unrefTimer); the exit hooks and close() flush instead.
 */
export function unref(timer: ReturnType<typeof setTimeout>): void {
  if (typeof timer === 'object' && timer !== null) (timer as { unref?: () => void }).unref?.()
  else (globalThis as { Deno?: { unrefTimer?: (id: number) => void } }).Deno?.unrefTimer?.(timer as number)
}

const retryable = (status: number) => status === 0 || status === 408 || status === 429 || status >= 500

export class Channel<T> {
  private items: { item: T; json: string }[] = []
  private timer: ReturnType<typeof setTimeout> | undefined
  private draining: Promise<void> | undefined
  private retryAt = 0
  private attempts = 0
  private failures = 0
  private saved = false
  private loaded: Promise<void> | undefined
  dropped = 0
  sent = 0

  constructor(private readonly o: ChannelOptions) {
    this.loaded = this.load()
  }

  get size(): number {
    return this.items.length
  }

  push(item: T): void {
    const json = JSON.stringify(item)
    if (json.length > this.o.maxBytes && encoder.encode(json).length > this.o.maxBytes) {
      this.o.onError(`dropped an item of ${encoder.encode(json).length} bytes: over the request cap`)
      this.dropped++
      return
    }
    this.items.push({ item, json })
    while (this.items.length > this.o.maxQueue) {
      this.items.shift()
      this.dropped++
    }
    if (this.items.length >= this.o.maxBatch) void this.drain(0)
    else this.schedule(this.o.intervalMs)
  }

  /** Sends everything buffered, waiting out a backoff while it ends before `timeoutMs`. */
  async flush(timeoutMs = 10_000, keepalive = false): Promise<boolean> {
    await this.loaded
    await this.drain(timeoutMs, keepalive)
    return this.items.length === 0
  }

  /** Saves the queue now (page hide: the page may not come back). */
  async persist(): Promise<void> {
    const s = this.o.storage
    if (!s) return
    try {
      if (this.items.length === 0) {
        if (this.saved) await s.removeItem(this.o.storageKey)
        this.saved = false
      } else {
        // The newest items that fit the byte budget: localStorage holds about 5 MB per
        // origin for everything the page stores, so the queue takes a bounded share of it.
        let bytes = 2
        let from = this.items.length
        while (from > 0) {
          const n = (this.items[from - 1] as { json: string }).json.length + 1
          if (bytes + n > this.o.maxStoredChars) break
          bytes += n
          from--
        }
        const kept = this.items.slice(from).map((i) => i.json)
        await s.setItem(this.o.storageKey, `[${kept.join(',')}]`)
        this.saved = true
      }
    } catch (err) {
      this.o.onError(`could not save the offline queue: ${(err as Error)?.message ?? err}`)
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }

  private async load(): Promise<void> {
    const s = this.o.storage
    if (!s) return
    try {
      const raw = await s.getItem(this.o.storageKey)
      if (!raw) return
      const old = JSON.parse(raw) as T[]
      if (!Array.isArray(old) || old.length === 0) return
      this.saved = true
      this.items = [...old.map((item) => ({ item, json: JSON.stringify(item) })), ...this.items].slice(
        -this.o.maxQueue,
      )
      this.schedule(0)
    } catch (err) {
      this.o.onError(`could not load the offline queue: ${(err as Error)?.message ?? err}`)
    }
  }

  private schedule(delay: number): void {
    if (this.timer !== undefined) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.drain(0)
    }, delay)
    unref(this.timer)
  }

  private drain(waitMs: number, keepalive = false): Promise<void> {
    if (this.draining)
      return this.draining.then(() => (this.items.length ? this.drain(waitMs, keepalive) : undefined))
    this.draining = this.run(this.o.now() + waitMs, keepalive).finally(() => {
      this.draining = undefined
    })
    return this.draining
  }

  private async run(deadline: number, keepalive: boolean): Promise<void> {
    await this.send(deadline, keepalive)
    // Nothing left: no timer should outlive the queue (it would hold a worker or Deno open).
    if (this.items.length === 0) this.stop()
  }

  private async send(deadline: number, keepalive: boolean): Promise<void> {
    while (this.items.length > 0) {
      const wait = this.retryAt - this.o.now()
      if (wait > 0) {
        if (this.o.now() + wait > deadline) {
          this.stop()
          this.schedule(wait)
          return
        }
        await new Promise((r) => setTimeout(r, wait))
      }
      const chunk = this.take(keepalive ? Math.min(KEEPALIVE_BYTES, this.o.maxBytes) : this.o.maxBytes)
      const single = chunk.length === 1 && this.o.singlePath !== undefined
      const body = single
        ? (chunk[0]?.json as string)
        : `{"${this.o.key}":[${chunk.map((c) => c.json).join(',')}]}`
      const answer = await this.post(single ? (this.o.singlePath as string) : this.o.path, body, keepalive)
      if (answer.status >= 200 && answer.status < 300) {
        this.items.splice(0, chunk.length)
        this.attempts = 0
        this.failures = 0
        this.retryAt = 0
        this.sent += chunk.length
        this.reportRejected(answer.body)
        if (this.saved) await this.persist()
        continue
      }
      if (retryable(answer.status)) {
        this.failures++
        if (answer.status !== 0) this.attempts++
        if (this.attempts >= this.o.maxAttempts) {
          this.o.onError(
            `gave up on ${chunk.length} items after ${this.attempts} attempts (HTTP ${answer.status})`,
          )
          this.items.splice(0, chunk.length)
          this.dropped += chunk.length
          this.attempts = 0
          continue
        }
        this.retryAt = this.o.now() + (answer.retryAfterMs ?? backoffMs(this.failures))
        await this.persist()
        continue
      }
      this.o.onError(
        `server refused ${chunk.length} items with HTTP ${answer.status}: ${JSON.stringify(answer.body)}`,
      )
      this.items.splice(0, chunk.length)
      this.dropped += chunk.length
      if (this.saved) await this.persist()
    }
  }

  /** The head of the queue that fits one request. */
  private take(maxBytes: number): { item: T; json: string }[] {
    const out: { item: T; json: string }[] = []
    let bytes = this.o.key.length + 6
    for (const i of this.items) {
      if (out.length >= this.o.maxBatch) break
      const n = encoder.encode(i.json).length + 1
      if (out.length > 0 && bytes + n > maxBytes) break
      bytes += n
      out.push(i)
    }
    return out
  }

  /** A batch answered 200 may still have refused some items (their index and field). */
  private reportRejected(body: unknown): void {
    const errors = (body as { errors?: unknown } | undefined)?.errors
    if (Array.isArray(errors) && errors.length > 0) {
      this.dropped += errors.length
      this.o.onError(`server rejected ${errors.length} items: ${JSON.stringify(errors).slice(0, 500)}`)
    }
  }

  private async post(path: string, body: string, keepalive: boolean): Promise<Answer> {
    try {
      const bytes = encoder.encode(body)
      const signature = await this.o.signer.hmac(this.o.projectKey, bytes)
      const res = await this.o.fetch(this.o.endpoint.replace(/\/+$/, '') + path, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-signature': signature,
          'x-project-key': this.o.projectKey,
        },
        body: bytes,
        keepalive,
      })
      let parsed: unknown
      try {
        parsed = await res.json()
      } catch {
        parsed = undefined
      }
      return {
        status: res.status,
        retryAfterMs: retryAfterMs(res.headers.get('retry-after'), this.o.now()),
        body: parsed,
      }
    } catch (err) {
      this.o.onError(`could not reach ${this.o.endpoint}: ${(err as Error)?.message ?? err}`)
      return { status: 0 }
    }
  }
}
