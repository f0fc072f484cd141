/**
 * Cross-node notifications: `bus.publish(channel, payload)` reaches every
 * `bus.subscribe(channel, fn)` of every node on the same database, the sender's included
 * (docs/ARCHITECTURE.md, "Several nodes"). For what one node changes and the others must
 * see now: a commit for the live dashboard streams, a rotated project key, a content
 * policy, a pricing override, a source map (the caches that hold them drop the entry).
 *
 * Contract:
 * - PostgreSQL: LISTEN/NOTIFY through Bun.sql (`listen`/`notify`, backend postgres.ts), the
 *   channel `bloop_<channel>` of this database. Bun.sql listens on one dedicated connection
 *   per client, outside the pool, and reconnects it with backoff after it drops.
 * - SQLite (one node by design): in this process, each delivery a fresh copy of the JSON.
 * - Delivery is asynchronous, in publish order per node (a node sends one NOTIFY at a
 *   time, about 0.3 ms each on the loopback: the pool would send concurrent ones on
 *   different connections), and at most once: a message sent while a node's listening
 *   connection is down is lost for that node. Hence `onResync`:
 *   called on a subscription after its connection came back, so a cache drops everything
 *   it holds and a stream tells its clients to fetch again. Nothing that must not be lost
 *   goes through the bus; it says "look again", the database holds the facts.
 * - A payload is JSON of at most PAYLOAD_MAX_BYTES (PostgreSQL refuses 8000 bytes or more):
 *   a larger one is refused by publish, on both backends, so a test on SQLite catches what
 *   PostgreSQL would refuse. Send ids, not documents.
 * - A subscriber that throws is logged and does not disturb the others.
 * - NOTIFY inside a transaction is delivered at commit, but the writer's transactions are
 *   not reached from here: publish after the commit resolved (the writer's commit hooks).
 */
import type { Backend } from './backend'
import { PostgresBackend } from './postgres'

/** PostgreSQL's NOTIFY payload limit is "shorter than 8000 bytes". */
export const PAYLOAD_MAX_BYTES = 7999

/** Channel names: short lowercase words, so that `bloop_` + name is a valid PostgreSQL identifier. */
const CHANNEL = /^[a-z][a-z0-9_]{0,47}$/

export interface Subscription {
  readonly channel: string
  unsubscribe(): Promise<void>
}

export interface SubscribeOptions {
  /** Called after the node's listening connection came back: messages may have been missed. */
  onResync?: () => void
}

export interface BusLog {
  error(message: string, fields?: Record<string, unknown>): void
}

export interface Bus {
  publish(channel: string, payload: unknown): Promise<void>
  /** Resolves once the subscription is live: a message published after this reaches it. */
  subscribe(channel: string, fn: (payload: unknown) => void, o?: SubscribeOptions): Promise<Subscription>
  close(): Promise<void>
}

/** The bus of `backend`'s database. */
export function busFor(backend: Backend, log: BusLog): Bus {
  return backend instanceof PostgresBackend ? new PostgresBus(backend, log) : new LocalBus(log)
}

/** The payload as sent: JSON within the limit, or an error naming both sizes. */
export function encodePayload(channel: string, payload: unknown): string {
  if (!CHANNEL.test(channel))
    throw new Error(
      `expected a channel of lowercase letters, digits and _ (at most 48), got ${JSON.stringify(channel)}`,
    )
  const text = JSON.stringify(payload ?? null)
  const bytes = Buffer.byteLength(text)
  if (bytes > PAYLOAD_MAX_BYTES)
    throw new Error(
      `expected a bus payload of at most ${PAYLOAD_MAX_BYTES} bytes on ${channel}, got ${bytes}`,
    )
  return text
}

function deliver(log: BusLog, channel: string, fn: (payload: unknown) => void, text: string): void {
  let payload: unknown
  try {
    payload = JSON.parse(text)
  } catch {
    log.error('bus message is not JSON; dropped', { channel, bytes: text.length })
    return
  }
  try {
    fn(payload)
  } catch (err) {
    log.error('bus subscriber failed', { channel, error: String(err) })
  }
}

/** One process: the SQLite backend's bus. */
export class LocalBus implements Bus {
  private readonly subs = new Map<string, Set<(payload: unknown) => void>>()

  constructor(private readonly log: BusLog) {}

  async publish(channel: string, payload: unknown): Promise<void> {
    const text = encodePayload(channel, payload)
    for (const fn of this.subs.get(channel) ?? []) queueMicrotask(() => deliver(this.log, channel, fn, text))
  }

  async subscribe(channel: string, fn: (payload: unknown) => void): Promise<Subscription> {
    encodePayload(channel, null)
    // Each subscription is its own entry, even for the same function twice.
    const own = (p: unknown) => fn(p)
    const set = this.subs.get(channel) ?? new Set()
    this.subs.set(channel, set)
    set.add(own)
    return {
      channel,
      unsubscribe: async () => {
        set.delete(own)
      },
    }
  }

  async close(): Promise<void> {
    this.subs.clear()
  }
}

type Notifier = Pick<PostgresBackend, 'listen' | 'notify'>

/** Several nodes: LISTEN/NOTIFY on the backend's database. */
export class PostgresBus implements Bus {
  private readonly subs = new Set<Subscription>()

  constructor(
    private readonly pg: Notifier,
    private readonly log: BusLog,
  ) {}

  private tail: Promise<unknown> = Promise.resolve()

  publish(channel: string, payload: unknown): Promise<void> {
    let text: string
    try {
      text = encodePayload(channel, payload)
    } catch (err) {
      return Promise.reject(err)
    }
    // One NOTIFY at a time: the pool would send concurrent ones on different connections,
    // and the server would deliver them in whatever order they committed.
    const sent = this.tail.then(() => this.pg.notify(`bloop_${channel}`, text))
    this.tail = sent.catch(() => {})
    return sent
  }

  async subscribe(
    channel: string,
    fn: (payload: unknown) => void,
    o: SubscribeOptions = {},
  ): Promise<Subscription> {
    encodePayload(channel, null)
    let listens = 0
    const handle = await this.pg.listen(
      `bloop_${channel}`,
      (text) => deliver(this.log, channel, fn, text),
      () => {
        // The first acknowledgement is the subscription itself; later ones follow a reconnect.
        if (++listens > 1 && o.onResync) {
          try {
            o.onResync()
          } catch (err) {
            this.log.error('bus resync handler failed', { channel, error: String(err) })
          }
        }
      },
    )
    const sub: Subscription = {
      channel,
      unsubscribe: async () => {
        this.subs.delete(sub)
        await handle.unlisten()
      },
    }
    this.subs.add(sub)
    return sub
  }

  async close(): Promise<void> {
    await Promise.all([...this.subs].map((s) => s.unsubscribe().catch(() => {})))
  }
}
