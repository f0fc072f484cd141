/**
 * LLM tracing: traces made of nested spans, sent as the LLM Trace Contract
 * (POST /v1/traces/batch, docs/sdk.md). Times are epoch ms; token counts follow the
 * server's convention (input includes cache reads and writes, output includes reasoning)
 * and unknown counts are left out, never sent as 0. Cost is left to the server, which
 * prices from its table, unless the app sets `cost` (dollars) itself.
 *
 * A trace is sent once, when it ends, with all its spans. Which span is "current" comes
 * from a ContextManager: on Node and Bun an AsyncLocalStorage one (node.ts), so spans
 * started inside an awaited call nest by themselves; elsewhere parents are passed
 * explicitly (`parent`), or the callback forms (`withSpan`) are used.
 */

export type SpanType = 'generation' | 'tool' | 'retrieval' | 'custom'
export type SpanStatus = 'ok' | 'error' | 'running'
export type TraceStatus = 'running' | 'completed' | 'error'

export interface Usage {
  inputTokens?: number | null
  outputTokens?: number | null
  cacheReadTokens?: number | null
  cacheWriteTokens?: number | null
  reasoningTokens?: number | null
}

export interface SpanWire {
  id: string
  parent_span_id?: string
  span_type: string
  name?: string
  model?: string
  provider?: string
  input_tokens?: number
  output_tokens?: number
  cache_read_tokens?: number
  cache_write_tokens?: number
  reasoning_tokens?: number
  cost?: number
  latency_ms?: number
  time_to_first_token_ms?: number
  status: SpanStatus
  error_message?: string
  input?: string
  output?: string
  metadata?: Record<string, unknown>
  started_at: number
  ended_at?: number
}

export interface TraceWire {
  id: string
  session_id?: string
  user_id?: string
  name?: string
  status: TraceStatus
  input?: string
  output?: string
  metadata?: Record<string, unknown>
  prompt_name?: string
  prompt_version?: string
  tags?: string[]
  started_at: number
  ended_at?: number
  spans: SpanWire[]
}

export interface TraceOptions {
  id?: string
  name?: string
  sessionId?: string
  userId?: string
  input?: unknown
  metadata?: Record<string, unknown>
  promptName?: string
  promptVersion?: string
  tags?: string[]
}

export interface SpanOptions {
  id?: string
  spanType?: SpanType
  name?: string
  model?: string
  provider?: string
  input?: unknown
  metadata?: Record<string, unknown>
  /** The parent span; by default the current span (Node/Bun), else a root span. */
  parent?: Span | null
}

export interface SpanEnd extends Usage {
  usage?: Usage
  status?: 'ok' | 'error'
  errorMessage?: string
  output?: unknown
  /** Dollars; omit to let the server price the call. */
  cost?: number
  timeToFirstTokenMs?: number
  model?: string
  metadata?: Record<string, unknown>
}

export interface TraceEnd {
  status?: 'completed' | 'error'
  output?: unknown
}

/** Where the current span lives: async context on Node and Bun, nowhere by default. */
export interface ContextManager {
  active(): Span | undefined
  with<R>(span: Span, fn: () => R): R
}

export const noContext: ContextManager = { active: () => undefined, with: (_s, fn) => fn() }

export interface TraceSink {
  now(): number
  id(): string
  send(trace: TraceWire): void
  context: ContextManager
}

/** The client side a trace needs; a structural type so this module does not import the client. */
export interface TracingClient {
  traceSink(sampled: boolean): TraceSink
  sampleTrace(): boolean
  readonly context: ContextManager
}

/** The most spans a trace may carry (the server's `max_spans_per_trace`). */
export const MAX_SPANS = 100

/** Content is sent as text: strings as they are, anything else as JSON. */
export function asContent(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v === 'string') return v
  try {
    return JSON.stringify(v)
  } catch {
    return String(v)
  }
}

const nonNegInt = (v: number | null | undefined) =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.round(v) : undefined

export class Span {
  readonly wire: SpanWire
  ended = false
  private readonly t0: number

  constructor(
    readonly trace: Trace,
    o: SpanOptions,
    parent: Span | undefined,
  ) {
    const now = trace.sink.now()
    this.t0 = now
    const type = o.spanType ?? 'custom'
    this.wire = {
      id: o.id ?? trace.sink.id(),
      span_type: type,
      name: o.name ?? type,
      status: 'running',
      started_at: now,
    }
    if (parent) this.wire.parent_span_id = parent.id
    if (o.model) this.wire.model = o.model
    if (o.provider) this.wire.provider = o.provider
    const input = asContent(o.input)
    if (input !== undefined) this.wire.input = input
    if (o.metadata) this.wire.metadata = { ...o.metadata }
  }

  get id(): string {
    return this.wire.id
  }

  /** Starts a child of this span. */
  startSpan(o: Omit<SpanOptions, 'parent'> = {}): Span {
    return this.trace.startSpan({ ...o, parent: this })
  }

  setUsage(u: Usage): this {
    const set = (k: keyof SpanWire, v: number | null | undefined) => {
      const n = nonNegInt(v)
      if (n !== undefined) (this.wire as unknown as Record<string, unknown>)[k] = n
    }
    set('input_tokens', u.inputTokens)
    set('output_tokens', u.outputTokens)
    set('cache_read_tokens', u.cacheReadTokens)
    set('cache_write_tokens', u.cacheWriteTokens)
    set('reasoning_tokens', u.reasoningTokens)
    return this
  }

  end(o: SpanEnd = {}): void {
    if (this.ended) return
    this.ended = true
    const now = this.trace.sink.now()
    const w = this.wire
    this.setUsage({ ...o.usage, ...definedUsage(o) })
    w.status = o.status ?? (o.errorMessage ? 'error' : 'ok')
    if (o.errorMessage) w.error_message = o.errorMessage
    const output = asContent(o.output)
    if (output !== undefined) w.output = output
    if (typeof o.cost === 'number' && Number.isFinite(o.cost) && o.cost >= 0) w.cost = o.cost
    const ttft = nonNegInt(o.timeToFirstTokenMs)
    if (ttft !== undefined) w.time_to_first_token_ms = ttft
    if (o.model) w.model = o.model
    if (o.metadata) w.metadata = { ...w.metadata, ...o.metadata }
    w.ended_at = now
    w.latency_ms = Math.max(0, now - this.t0)
  }

  /** Ends the span as failed with the error's message. */
  fail(err: unknown): void {
    const message = err instanceof Error ? err.message : typeof err === 'string' ? err : asContent(err)
    this.end({ status: 'error', errorMessage: message || 'error' })
  }
}

function definedUsage(u: Usage): Usage {
  const out: Usage = {}
  for (const k of [
    'inputTokens',
    'outputTokens',
    'cacheReadTokens',
    'cacheWriteTokens',
    'reasoningTokens',
  ] as const) {
    if (u[k] !== undefined) out[k] = u[k]
  }
  return out
}

export class Trace {
  readonly wire: TraceWire
  readonly spans: Span[] = []
  ended = false
  /** Spans started past MAX_SPANS: not sent, counted in metadata so the loss is visible. */
  private overflow = 0

  constructor(
    readonly sink: TraceSink,
    o: TraceOptions = {},
  ) {
    this.wire = { id: o.id ?? sink.id(), status: 'running', started_at: sink.now(), spans: [] }
    const w = this.wire
    if (o.name) w.name = o.name
    if (o.sessionId) w.session_id = o.sessionId
    if (o.userId) w.user_id = o.userId
    const input = asContent(o.input)
    if (input !== undefined) w.input = input
    if (o.metadata) w.metadata = { ...o.metadata }
    if (o.promptName) w.prompt_name = o.promptName
    if (o.promptVersion) w.prompt_version = o.promptVersion
    if (o.tags && o.tags.length > 0) w.tags = [...o.tags]
  }

  get id(): string {
    return this.wire.id
  }

  /** A span of this trace; its parent is `o.parent`, else the current span if it is ours. */
  startSpan(o: SpanOptions = {}): Span {
    let parent: Span | undefined
    if (o.parent !== undefined) parent = o.parent ?? undefined
    else {
      const current = this.sink.context.active()
      if (current && current.trace === this) parent = current
    }
    const span = new Span(this, o, parent)
    if (this.spans.length < MAX_SPANS) this.spans.push(span)
    else this.overflow++
    return span
  }

  /** Runs `fn` with a new span as the current one; ends it (as an error if `fn` throws). */
  withSpan<R>(o: SpanOptions, fn: (span: Span) => R): R {
    return runInSpan(this.startSpan(o), this.sink.context, fn)
  }

  end(o: TraceEnd = {}): void {
    if (this.ended) return
    this.ended = true
    const w = this.wire
    const errored = this.spans.some((s) => s.wire.status === 'error')
    w.status = o.status ?? (errored ? 'error' : 'completed')
    const output = asContent(o.output)
    if (output !== undefined) w.output = output
    w.ended_at = this.sink.now()
    // A span still open when its trace ends is sent as running: that is what it was.
    w.spans = this.spans.map((s) => ({ ...s.wire }))
    if (this.overflow > 0) w.metadata = { ...w.metadata, spans_dropped: this.overflow }
    this.sink.send(w)
  }
}

/** Runs `fn` in `span`'s context; the span ends when `fn` returns or its promise settles. */
export function runInSpan<R>(span: Span, context: ContextManager, fn: (span: Span) => R): R {
  let result: R
  try {
    result = context.with(span, () => fn(span))
  } catch (err) {
    span.fail(err)
    throw err
  }
  if (result instanceof Promise) {
    return result.then(
      (v) => {
        span.end()
        return v
      },
      (err) => {
        span.fail(err)
        throw err
      },
    ) as R
  }
  span.end()
  return result
}

/** A new trace on `client`; it is sent when it ends. */
export function startTrace(client: TracingClient, o: TraceOptions = {}): Trace {
  return new Trace(client.traceSink(client.sampleTrace()), o)
}

/**
 * A span under the current one (or `o.parent`). With no trace around it, the span gets a
 * trace of its own, named after it, that ends when the span ends.
 */
export function startSpan(client: TracingClient, o: SpanOptions = {}): Span {
  const parent = o.parent ?? client.context.active()
  if (parent) return parent.trace.startSpan({ ...o, parent })
  const trace = startTrace(client, { name: o.name ?? o.spanType ?? 'span' })
  const span = trace.startSpan({ ...o, parent: null })
  const end = span.end.bind(span)
  span.end = (e) => {
    end(e)
    trace.end({ status: span.wire.status === 'error' ? 'error' : 'completed' })
  }
  return span
}

/** Runs `fn` as a trace with a root span current; ends both (as errors if `fn` throws). */
export function withTrace<R>(client: TracingClient, o: TraceOptions, fn: (span: Span) => R): R {
  const trace = startTrace(client, o)
  const root = trace.startSpan({ name: o.name ?? 'trace', spanType: 'custom', input: o.input, parent: null })
  const endTrace = (err?: unknown) =>
    trace.end(
      err === undefined ? {} : { status: 'error', output: err instanceof Error ? err.message : String(err) },
    )
  let result: R
  try {
    result = runInSpan(root, client.context, fn)
  } catch (err) {
    endTrace(err)
    throw err
  }
  if (result instanceof Promise) {
    return result.then(
      (v) => {
        endTrace()
        return v
      },
      (err) => {
        endTrace(err)
        throw err
      },
    ) as R
  }
  endTrace()
  return result
}

/** Runs `fn` in a new span (nested under the current one); ends it when `fn` settles. */
export function withSpan<R>(client: TracingClient, o: SpanOptions, fn: (span: Span) => R): R {
  return runInSpan(startSpan(client, o), client.context, fn)
}
