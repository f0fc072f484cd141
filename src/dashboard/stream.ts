/**
 * Live updates for the dashboard (server side): `GET /v1/stream` is a server-sent event
 * stream that says "something changed in these projects" after each committed batch, so
 * the open pages re-read what they show instead of polling.
 *
 * Contract:
 * - One `commit` event per stream per `minIntervalMs` at most (default 1 s): the first
 *   commit after a quiet second is sent at once, later ones are summed into the next event.
 *   Under heavy ingest a dashboard therefore re-reads once a second, not once per batch.
 *   The data is `{"events": n, "new_issues": n, "regressions": n, "projects": [ids]}`.
 * - LLM traces have a lane of their own: an `llm` event, `{"traces": n, "projects": [ids]}`,
 *   after each batch the LLM feature commits (traces and updates of traces), throttled and
 *   scoped the same way but independently of `commit`, so the LLM pages re-read on it and
 *   the issue pages do not re-read on trace traffic.
 * - Scope: a stream hears only about the projects it was opened for (the one named by
 *   `project_id`, or all the caller's projects). A stream for all projects asks again
 *   (`rescope`) when a commit names a project it does not know, so a project created
 *   after the page opened is heard too; if the caller lost access (session ended), the
 *   stream ends. Projects refused once are not asked about again.
 * - A comment line every `heartbeatMs` (5 s) keeps the connection alive: Bun closes a
 *   response that sends nothing for 10 s (`idleTimeout`), and so do many proxies.
 * - Caps: `maxStreams` open streams in all (256), `maxPerUser` per user (10); one over is
 *   429. The browser closes its stream while the tab is hidden, so tabs do not pile up.
 * - Cost per commit: a set lookup per open stream; nothing is read from the database.
 *
 * Roads not taken: polling (a request per page every few seconds even when nothing
 * changes); WebSockets (two-way is not needed, and SSE reconnects by itself).
 */
import type { CommitResult } from '../errors'

export interface StreamLimits {
  maxStreams: number
  maxPerUser: number
  minIntervalMs: number
  heartbeatMs: number
}

export const STREAM_LIMITS: StreamLimits = {
  maxStreams: 256,
  maxPerUser: 10,
  minIntervalMs: 1000,
  heartbeatMs: 5000,
}

export interface CommitTick {
  events: number
  new_issues: number
  regressions: number
  projects: string[]
}

/** The `llm` event: traces committed by the LLM feature since the last event, by project. */
export interface LlmTick {
  traces: number
  projects: string[]
}

/** The two kinds of event a stream sends after commits. */
type Lane = 'commit' | 'llm'

/** What one lane of one stream has to send: counts summed over commits, and the projects. */
interface Pending {
  counts: Record<string, number>
  projects: Set<string>
}

interface LaneState {
  lastSent: number
  pending: Pending | null
  flushTimer: unknown
}

/** Timers, injectable so tests can step time. */
export interface Timers {
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
  setInterval(fn: () => void, ms: number): unknown
  clearInterval(handle: unknown): void
}

export const REAL_TIMERS: Timers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as Timer),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as Timer),
}

/**
 * The caller's projects now, or null when the caller may no longer read at all. May
 * answer later (the Guard resolves sessions through the storage seam); the commit that
 * asked is delivered to the stream once it has.
 */
export type Rescope = () => string[] | null | Promise<string[] | null>

interface Subscriber {
  userId: string
  projects: Set<string>
  refused: Set<string>
  rescope: Rescope | null
  send(chunk: string): void
  end(): void
  lanes: Record<Lane, LaneState>
  heartbeat: unknown
}

const lane = (): LaneState => ({ lastSent: Number.NEGATIVE_INFINITY, pending: null, flushTimer: null })

const encoder = new TextEncoder()

export class StreamHub {
  private readonly subs = new Set<Subscriber>()

  constructor(
    private readonly limits: StreamLimits = STREAM_LIMITS,
    private readonly timers: Timers = REAL_TIMERS,
  ) {}

  get size(): number {
    return this.subs.size
  }

  /** Whether `userId` may open one more stream: null when yes, else the reason. */
  refusal(userId: string): string | null {
    if (this.subs.size >= this.limits.maxStreams) {
      return `the server has ${this.limits.maxStreams} live streams open; try again later`
    }
    let mine = 0
    for (const s of this.subs) if (s.userId === userId) mine++
    if (mine >= this.limits.maxPerUser) {
      return `you have ${this.limits.maxPerUser} live streams open; close a dashboard tab`
    }
    return null
  }

  /** The event-stream body of one subscriber; it ends when the client goes or the hub closes. */
  open(
    userId: string,
    projectIds: string[],
    opts: { signal?: AbortSignal; rescope?: Rescope } = {},
  ): ReadableStream<Uint8Array> {
    let sub: Subscriber | null = null
    const hub = this
    return new ReadableStream<Uint8Array>({
      start(controller) {
        const s: Subscriber = {
          userId,
          projects: new Set(projectIds),
          refused: new Set(),
          rescope: opts.rescope ?? null,
          send: (chunk) => {
            try {
              controller.enqueue(encoder.encode(chunk))
            } catch {
              hub.drop(s)
            }
          },
          end: () => {
            try {
              controller.close()
            } catch {
              // already closed or cancelled
            }
          },
          lanes: { commit: lane(), llm: lane() },
          heartbeat: null,
        }
        sub = s
        s.heartbeat = hub.timers.setInterval(() => s.send(': keepalive\n\n'), hub.limits.heartbeatMs)
        hub.subs.add(s)
        // `retry` tells EventSource how long to wait before reconnecting after a drop.
        s.send(`retry: 3000\nevent: ready\ndata: ${JSON.stringify({ projects: projectIds })}\n\n`)
        opts.signal?.addEventListener('abort', () => hub.drop(s))
      },
      cancel() {
        if (sub) hub.drop(sub)
      },
    })
  }

  /** The errors queue's commit listener. */
  onCommit = (result: CommitResult): void => {
    if (this.subs.size === 0 || result.issues.length === 0) return
    // Summed per project once; each stream then looks only at the batch's few projects.
    const byProject = new Map<string, { events: number; new_issues: number; regressions: number }>()
    for (const issue of result.issues) {
      let t = byProject.get(issue.project_id)
      if (!t) {
        t = { events: 0, new_issues: 0, regressions: 0 }
        byProject.set(issue.project_id, t)
      }
      t.new_issues += issue.is_new ? 1 : 0
      t.regressions += issue.regressed ? 1 : 0
      for (const b of issue.breakdown) t.events += b.count
    }
    this.deliver('commit', byProject)
  }

  /** The LLM queue's commit listener: traces committed per project. */
  onLlmCommit = (traces: ReadonlyMap<string, number>): void => {
    if (this.subs.size === 0 || traces.size === 0) return
    this.deliver('llm', new Map([...traces].map(([id, n]) => [id, { traces: n }])))
  }

  private deliver(kind: Lane, byProject: ReadonlyMap<string, Readonly<Record<string, number>>>): void {
    for (const s of [...this.subs]) {
      const known = this.knows(s, byProject)
      if (known === true) this.add(s, kind, byProject)
      else if (known !== false)
        void known.then((ok) => {
          if (ok && this.subs.has(s)) this.add(s, kind, byProject)
        })
    }
  }

  private add(s: Subscriber, kind: Lane, byProject: ReadonlyMap<string, Readonly<Record<string, number>>>) {
    const l = s.lanes[kind]
    for (const [projectId, t] of byProject) {
      if (!s.projects.has(projectId)) continue
      l.pending ??= { counts: {}, projects: new Set() }
      for (const [k, n] of Object.entries(t)) l.pending.counts[k] = (l.pending.counts[k] ?? 0) + n
      l.pending.projects.add(projectId)
    }
    if (l.pending) this.schedule(s, kind)
  }

  /**
   * Makes sure the stream's scope covers every project of the commit it may see: asks
   * `rescope` about projects it has not decided on yet. False when the stream was ended.
   */
  private knows(s: Subscriber, projects: ReadonlyMap<string, unknown>): boolean | Promise<boolean> {
    if (!s.rescope) return true
    let unknown = false
    for (const id of projects.keys()) if (!s.projects.has(id) && !s.refused.has(id)) unknown = true
    if (!unknown) return true
    const now = s.rescope()
    return now instanceof Promise
      ? now.then((ids) => this.rescoped(s, projects, ids))
      : this.rescoped(s, projects, now)
  }

  private rescoped(s: Subscriber, projects: ReadonlyMap<string, unknown>, now: string[] | null): boolean {
    if (now === null) {
      this.drop(s)
      return false
    }
    s.projects = new Set(now)
    for (const id of projects.keys()) if (!s.projects.has(id)) s.refused.add(id)
    return true
  }

  /** Ends every stream (server shutdown). */
  close(): void {
    for (const s of [...this.subs]) this.drop(s)
  }

  private schedule(s: Subscriber, kind: Lane): void {
    const l = s.lanes[kind]
    if (l.flushTimer !== null) return
    const wait = l.lastSent + this.limits.minIntervalMs - this.timers.now()
    if (wait <= 0) {
      this.flush(s, kind)
      return
    }
    l.flushTimer = this.timers.setTimeout(() => {
      l.flushTimer = null
      this.flush(s, kind)
    }, wait)
  }

  private flush(s: Subscriber, kind: Lane): void {
    const l = s.lanes[kind]
    const p = l.pending
    if (!p || !this.subs.has(s)) return
    l.pending = null
    l.lastSent = this.timers.now()
    const tick = { ...p.counts, projects: [...p.projects].sort() }
    s.send(`event: ${kind}\ndata: ${JSON.stringify(tick)}\n\n`)
  }

  private drop(s: Subscriber): void {
    if (!this.subs.delete(s)) return
    this.timers.clearInterval(s.heartbeat)
    for (const l of Object.values(s.lanes)) if (l.flushTimer !== null) this.timers.clearTimeout(l.flushTimer)
    s.end()
  }
}
