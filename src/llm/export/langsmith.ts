/**
 * Stored traces as LangSmith runs. Pure: rows in, runs out, no clock and no I/O.
 *
 * LangSmith's run model (the `Run` / `RunCreate` schema of the langsmith client): one run
 * per unit of work, nested by `parent_run_id`, all runs of a trace sharing `trace_id` (the
 * root run's id), and a `dotted_order` that sorts a trace in execution order: for each run
 * from the root down, `<start time as YYYYMMDDTHHMMSSffffff>Z<run id>`, joined by dots.
 * The microsecond digits below the millisecond are the client's tie-breaker ("execution
 * order"); bloop writes 001, as the langsmith client does by default, so its own
 * `convertToDottedOrderFormat` reproduces every segment.
 *
 * Each trace becomes a root `chain` run (the trace's own name, input, output and metadata)
 * and one run per span beneath it: generation -> llm, tool -> tool, retrieval -> retriever,
 * custom -> chain. A span whose parent is not among the trace's spans hangs from the root
 * run, so every run's parent is in the export.
 *
 * Ids: LangSmith ids are UUIDs. A bloop id that is a UUID is kept; any other id (OTLP's
 * hex ids, an SDK's "trace-001") becomes a UUIDv5 of (project, trace, span), so exporting
 * twice gives the same ids and a re-import replaces rather than duplicates.
 *
 * Content (inputs, outputs) is what storage holds, which the project's content policy
 * already decided at ingest: nothing stripped there can appear here.
 */
import { createHash } from 'node:crypto'

export interface TraceRow {
  project_id: string
  id: string
  name: string
  status: string
  session_id: string | null
  user_id: string | null
  input: string | null
  output: string | null
  metadata: string | null
  tags: string | null
  prompt_name: string | null
  prompt_version: string | null
  source: string
  started_at: number
  ended_at: number | null
}

export interface SpanRow {
  id: string
  parent_span_id: string | null
  span_type: string
  name: string
  model: string | null
  provider: string | null
  status: string
  error_message: string | null
  input: string | null
  output: string | null
  metadata: string | null
  started_at: number
  ended_at: number | null
  time_to_first_token_ms: number | null
  input_tokens: number | null
  output_tokens: number | null
  cache_read_tokens: number | null
  cache_write_tokens: number | null
  reasoning_tokens: number | null
  total_tokens: number | null
  cost_micros: number | null
  cost_source: string
}

export type RunType = 'llm' | 'tool' | 'retriever' | 'chain'

export interface UsageMetadata {
  input_tokens: number
  output_tokens: number
  total_tokens: number
  input_token_details?: { cache_read?: number; cache_creation?: number }
  output_token_details?: { reasoning?: number }
  total_cost?: number
}

export interface LangSmithRun {
  id: string
  trace_id: string
  parent_run_id: string | null
  dotted_order: string
  name: string
  run_type: RunType
  start_time: string
  end_time: string | null
  inputs: Record<string, unknown>
  outputs: Record<string, unknown> | null
  error: string | null
  extra: { metadata: Record<string, unknown> }
  tags: string[]
  events: { name: string; time: string }[]
}

const RUN_TYPES: Record<string, RunType> = {
  generation: 'llm',
  tool: 'tool',
  retrieval: 'retriever',
  custom: 'chain',
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** bloop's namespace for UUIDv5 run ids (itself a v5 of "bloop.llm.export" in the URL namespace). */
const NAMESPACE = Buffer.from('8f3c1d52a0c95e5d9e1f6b7a2c4d8e90', 'hex')

/** RFC 9562 UUIDv5: SHA-1 of namespace and name, version and variant bits set. */
export function uuidv5(name: string, namespace: Uint8Array = NAMESPACE): string {
  const hash = createHash('sha1').update(namespace).update(name, 'utf8').digest()
  hash[6] = ((hash[6] as number) & 0x0f) | 0x50
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80
  const h = hash.subarray(0, 16).toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

export const traceRunId = (projectId: string, traceId: string) =>
  UUID.test(traceId) ? traceId.toLowerCase() : uuidv5(`${projectId}\u0000${traceId}`)

export const spanRunId = (projectId: string, traceId: string, spanId: string) =>
  UUID.test(spanId) ? spanId.toLowerCase() : uuidv5(`${projectId}\u0000${traceId}\u0000${spanId}`)

const iso = (ms: number) => new Date(ms).toISOString()

/** One dotted-order segment: the start time to the microsecond (ms + "001"), Z, the run id. */
export function dottedSegment(startMs: number, runId: string): string {
  return `${iso(startMs).slice(0, -1).replace(/[-:.]/g, '')}001Z${runId}`
}

function parseJson(text: string | null): unknown {
  if (text === null) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** LangSmith shows `messages` as a chat; other structured content as is; text under `key`. */
function io(text: string | null, key: 'input' | 'output'): Record<string, unknown> | undefined {
  const v = parseJson(text)
  if (v === undefined) return undefined
  if (isObject(v)) return v
  if (Array.isArray(v)) return { messages: v }
  return { [key]: v }
}

export function usageMetadata(s: SpanRow): UsageMetadata | undefined {
  // LangSmith requires both counts; an unknown one is not written as 0.
  if (s.input_tokens === null || s.output_tokens === null) return undefined
  const u: UsageMetadata = {
    input_tokens: s.input_tokens,
    output_tokens: s.output_tokens,
    total_tokens: s.total_tokens ?? s.input_tokens + s.output_tokens,
  }
  const inDetails: NonNullable<UsageMetadata['input_token_details']> = {}
  if (s.cache_read_tokens !== null) inDetails.cache_read = s.cache_read_tokens
  if (s.cache_write_tokens !== null) inDetails.cache_creation = s.cache_write_tokens
  if (Object.keys(inDetails).length) u.input_token_details = inDetails
  if (s.reasoning_tokens !== null) u.output_token_details = { reasoning: s.reasoning_tokens }
  if (s.cost_micros !== null) u.total_cost = s.cost_micros / 1e6
  return u
}

function spanMetadata(s: SpanRow): Record<string, unknown> {
  const stored = parseJson(s.metadata)
  const meta: Record<string, unknown> = isObject(stored)
    ? { ...stored }
    : stored === undefined
      ? {}
      : { value: stored }
  if (s.provider !== null) meta.ls_provider = s.provider
  if (s.model !== null) meta.ls_model_name = s.model
  meta.bloop_span_id = s.id
  meta.bloop_span_type = s.span_type
  if (s.cost_micros !== null) meta.bloop_cost_micros = s.cost_micros
  meta.bloop_cost_source = s.cost_source
  if (s.input_tokens !== null && s.output_tokens === null) meta.bloop_input_tokens = s.input_tokens
  if (s.output_tokens !== null && s.input_tokens === null) meta.bloop_output_tokens = s.output_tokens
  return meta
}

/** The runs of one trace, root first, then its spans in dotted order. */
export function traceToRuns(t: TraceRow, spans: readonly SpanRow[]): LangSmithRun[] {
  const rootId = traceRunId(t.project_id, t.id)
  const rootDotted = dottedSegment(t.started_at, rootId)
  const traceMeta = parseJson(t.metadata)
  const tags = parseJson(t.tags)
  const rootMeta: Record<string, unknown> = isObject(traceMeta) ? { ...traceMeta } : {}
  rootMeta.bloop_trace_id = t.id
  rootMeta.bloop_source = t.source
  if (t.session_id !== null) rootMeta.session_id = t.session_id
  if (t.user_id !== null) rootMeta.user_id = t.user_id
  if (t.prompt_name !== null) rootMeta.prompt_name = t.prompt_name
  if (t.prompt_version !== null) rootMeta.prompt_version = t.prompt_version
  const root: LangSmithRun = {
    id: rootId,
    trace_id: rootId,
    parent_run_id: null,
    dotted_order: rootDotted,
    name: t.name || 'trace',
    run_type: 'chain',
    start_time: iso(t.started_at),
    end_time: t.ended_at === null ? null : iso(t.ended_at),
    inputs: io(t.input, 'input') ?? {},
    outputs: io(t.output, 'output') ?? null,
    error: t.status === 'error' ? (spans.find((s) => s.status === 'error')?.error_message ?? 'error') : null,
    extra: { metadata: rootMeta },
    tags: Array.isArray(tags) ? tags.filter((x): x is string => typeof x === 'string') : [],
    events: [],
  }

  const byId = new Map(spans.map((s) => [s.id, s]))
  const dotted = new Map<string, string>()
  // A parent chain is walked iteratively with a visited set: a cycle in client-sent
  // parents (a -> b -> a) hangs from the root instead of looping.
  const dottedOf = (s: SpanRow): string => {
    const known = dotted.get(s.id)
    if (known) return known
    const chain: SpanRow[] = []
    const seen = new Set<string>()
    let at: SpanRow | undefined = s
    while (at && !dotted.has(at.id) && !seen.has(at.id)) {
      seen.add(at.id)
      chain.push(at)
      at = at.parent_span_id === null ? undefined : byId.get(at.parent_span_id)
    }
    let prefix = at && dotted.has(at.id) ? (dotted.get(at.id) as string) : rootDotted
    for (const c of chain.reverse()) {
      prefix = `${prefix}.${dottedSegment(c.started_at, spanRunId(t.project_id, t.id, c.id))}`
      dotted.set(c.id, prefix)
    }
    return dotted.get(s.id) as string
  }

  const runs = spans.map((s): LangSmithRun => {
    const id = spanRunId(t.project_id, t.id, s.id)
    const order = dottedOf(s)
    // The parent is the run whose dotted order this one extends.
    const parentOrder = order.slice(0, order.lastIndexOf('.'))
    const parentRun = parentOrder.slice(parentOrder.lastIndexOf('Z') + 1)
    const outputs = io(s.output, 'output')
    const usage = s.span_type === 'generation' ? usageMetadata(s) : undefined
    const events: LangSmithRun['events'] = []
    if (s.time_to_first_token_ms !== null)
      events.push({ name: 'new_token', time: iso(s.started_at + s.time_to_first_token_ms) })
    return {
      id,
      trace_id: rootId,
      parent_run_id: parentRun,
      dotted_order: order,
      name: s.name || s.span_type,
      run_type: RUN_TYPES[s.span_type] ?? 'chain',
      start_time: iso(s.started_at),
      end_time: s.ended_at === null ? null : iso(s.ended_at),
      inputs: io(s.input, 'input') ?? {},
      outputs: usage ? { ...(outputs ?? {}), usage_metadata: usage } : (outputs ?? null),
      error: s.status === 'error' ? (s.error_message ?? 'error') : null,
      extra: { metadata: spanMetadata(s) },
      tags: [],
      events,
    }
  })
  runs.sort((a, b) => (a.dotted_order < b.dotted_order ? -1 : a.dotted_order > b.dotted_order ? 1 : 0))
  return [root, ...runs]
}
