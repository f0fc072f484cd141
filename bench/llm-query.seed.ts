/**
 * Generates the LLM read benchmark's database: N traces (default 1,000,000) of 3 spans
 * each, spread evenly over the 30 days before `now`, plus one trace of 100 spans, written
 * straight into a SQLite file migrated with the server's own migrations (the same tables,
 * indexes and search index the writer fills). The hourly rollups, their latency sketches
 * and the search rows are computed here from the generated spans exactly as the writer
 * would hold them; going through HTTP ingest instead would take most of an hour for a
 * million traces on a small machine, which is the ingest benchmark's subject, not this one.
 *
 * Deterministic (a seeded generator): the same N and `now` give the same database.
 */
import { MIGRATIONS } from '../src/features'
import { addValue, type Buckets, encode } from '../src/llm/write/sketch'
import { type Db, openDatabase } from '../src/storage/db'
import { migrate } from '../src/storage/migrate'

export const PROJECT = 'default'
export const DETAIL_TRACE = 'trace-100-spans'
/** A word in a few hundred trace names, for a selective search. */
export const RARE_WORD = 'zebracorn'
/** Text in every error span's message (about 3% of traces), for a broad search. */
export const COMMON_PHRASE = 'rate limit'

const HOUR = 3_600_000
const DAYS = 30

const MODELS = [
  { model: 'gpt-4o', provider: 'openai', inPrice: 2.5, outPrice: 10 },
  { model: 'gpt-4o-mini', provider: 'openai', inPrice: 0.15, outPrice: 0.6 },
  { model: 'claude-sonnet-4-5', provider: 'anthropic', inPrice: 3, outPrice: 15 },
  { model: 'claude-haiku-4-5', provider: 'anthropic', inPrice: 1, outPrice: 5 },
  { model: 'gemini-2.0-flash', provider: 'google', inPrice: 0.1, outPrice: 0.4 },
  { model: 'o3-mini', provider: 'openai', inPrice: 1.1, outPrice: 4.4 },
] as const
const TOOLS = ['web_search', 'calculator', 'sql_query', 'fetch_url', 'vector_search']
const NAMES = ['chat-completion', 'summarize', 'classify', 'agent-run', 'extract-entities', 'translate']

/** mulberry32: a small seeded generator, so a run can be repeated exactly. */
function rng(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Hourly {
  span_count: number
  error_count: number
  input: number
  output: number
  cache_read: number
  known: number
  cost: number
  latency_sum: number
  latency_count: number
  ttft_sum: number
  ttft_count: number
  latency: Buckets
  ttft: Buckets
}

interface TraceHourly {
  trace_count: number
  error_trace_count: number
  span_count: number
  input: number
  output: number
  cost: number
  duration_sum: number
  duration_count: number
  duration: Buckets
}

export interface SeedResult {
  traces: number
  spans: number
  seconds: number
}

export function seed(path: string, n: number, now: number, log = (s: string) => console.log(s)): SeedResult {
  const t0 = performance.now()
  const db = openDatabase(path)
  migrate(db, MIGRATIONS)
  db.run('PRAGMA synchronous = OFF')
  db.run('PRAGMA cache_size = -200000')
  const rand = rng(42)
  const start = now - DAYS * 24 * HOUR
  const step = (DAYS * 24 * HOUR) / n
  const usage = new Map<string, Hourly>()
  const traceHours = new Map<number, TraceHourly>()

  const insTrace = db.prepare(
    `INSERT INTO llm_traces (seq, project_id, id, session_id, user_id, name, status, source, prompt_name,
       prompt_version, started_at, ended_at, duration_ms, span_count, error_count, input_tokens, output_tokens,
       cache_read_tokens, cache_write_tokens, reasoning_tokens, total_tokens, cost_micros, models, providers,
       created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, 'sdk', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?, ?, ?)`,
  )
  const insSpan = db.prepare(
    `INSERT INTO llm_spans (project_id, trace_id, id, parent_span_id, span_type, name, model, provider, status,
       error_message, started_at, ended_at, latency_ms, time_to_first_token_ms, input_tokens, output_tokens,
       cache_read_tokens, cache_write_tokens, reasoning_tokens, total_tokens, cost_micros, cost_source, price_version)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?)`,
  )
  const insSearch = db.prepare(
    'INSERT INTO llm_search (rowid, name, span_names, errors, content) VALUES (?, ?, ?, ?, NULL)',
  )

  const lognormal = (median: number, sigma: number) => {
    // Box-Muller on the seeded generator.
    const u = Math.max(rand(), 1e-12)
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand())
    return Math.max(1, Math.round(median * Math.exp(sigma * z)))
  }

  type Span = {
    id: string
    parent: string | null
    type: 'generation' | 'tool' | 'retrieval'
    name: string
    m: (typeof MODELS)[number] | null
    status: 'ok' | 'error'
    error: string | null
    at: number
    latency: number
    ttft: number | null
    input: number | null
    output: number | null
    cacheRead: number | null
    cost: number | null
  }

  const writeTrace = (
    seq: number,
    id: string,
    at: number,
    spans: Span[],
    extra: { name: string; session: string | null; user: string | null; prompt: [string, string] | null },
  ) => {
    let input = 0
    let output = 0
    let cacheRead = 0
    let cost = 0
    let errors = 0
    let end = at
    const models = new Set<string>()
    const providers = new Set<string>()
    for (const s of spans) {
      const hour = Math.floor(s.at / HOUR) * HOUR
      const key = `${hour}|${s.m?.model ?? ''}|${s.m?.provider ?? ''}`
      let h = usage.get(key)
      if (!h) {
        h = {
          span_count: 0,
          error_count: 0,
          input: 0,
          output: 0,
          cache_read: 0,
          known: 0,
          cost: 0,
          latency_sum: 0,
          latency_count: 0,
          ttft_sum: 0,
          ttft_count: 0,
          latency: new Map(),
          ttft: new Map(),
        }
        usage.set(key, h)
      }
      h.span_count++
      if (s.status === 'error') {
        h.error_count++
        errors++
      }
      if (s.input !== null && s.output !== null) {
        h.known++
        h.input += s.input
        h.output += s.output
        h.cache_read += s.cacheRead ?? 0
        input += s.input
        output += s.output
        cacheRead += s.cacheRead ?? 0
      }
      if (s.cost !== null) {
        h.cost += s.cost
        cost += s.cost
      }
      h.latency_sum += s.latency
      h.latency_count++
      addValue(h.latency, s.latency)
      if (s.ttft !== null) {
        h.ttft_sum += s.ttft
        h.ttft_count++
        addValue(h.ttft, s.ttft)
      }
      if (s.m) {
        models.add(s.m.model)
        providers.add(s.m.provider)
      }
      end = Math.max(end, s.at + s.latency)
      insSpan.run(
        PROJECT,
        id,
        s.id,
        s.parent,
        s.type,
        s.name,
        s.m?.model ?? null,
        s.m?.provider ?? null,
        s.status,
        s.error,
        s.at,
        s.at + s.latency,
        s.latency,
        s.ttft,
        s.input,
        s.output,
        s.cacheRead,
        s.input === null || s.output === null ? null : s.input + s.output,
        s.cost,
        s.cost === null ? 'unknown' : 'table',
        'genai-prices@0.1.8',
      )
    }
    const known = spans.some((s) => s.input !== null)
    const anyCost = spans.some((s) => s.cost !== null)
    const duration = end - at
    const status = errors > 0 ? 'error' : 'completed'
    insTrace.run(
      seq,
      PROJECT,
      id,
      extra.session,
      extra.user,
      extra.name,
      status,
      extra.prompt?.[0] ?? null,
      extra.prompt?.[1] ?? null,
      at,
      end,
      duration,
      spans.length,
      errors,
      known ? input : null,
      known ? output : null,
      known ? cacheRead : null,
      known ? input + output : null,
      anyCost ? cost : null,
      models.size ? ` ${[...models].join(' ')} ` : '',
      providers.size ? ` ${[...providers].join(' ')} ` : '',
      at,
      at,
    )
    insSearch.run(
      seq,
      extra.name,
      spans.map((s) => s.name).join(' '),
      spans
        .map((s) => s.error ?? '')
        .join(' ')
        .trim() || null,
    )
    const hour = Math.floor(at / HOUR) * HOUR
    let t = traceHours.get(hour)
    if (!t) {
      t = {
        trace_count: 0,
        error_trace_count: 0,
        span_count: 0,
        input: 0,
        output: 0,
        cost: 0,
        duration_sum: 0,
        duration_count: 0,
        duration: new Map(),
      }
      traceHours.set(hour, t)
    }
    t.trace_count++
    if (status === 'error') t.error_trace_count++
    t.span_count += spans.length
    t.input += input
    t.output += output
    t.cost += cost
    t.duration_sum += duration
    t.duration_count++
    addValue(t.duration, duration)
  }

  const generation = (id: string, parent: string | null, at: number, failing: boolean): Span => {
    const m = MODELS[Math.floor(rand() * MODELS.length)] as (typeof MODELS)[number]
    const unknownUsage = rand() < 0.02
    const input = unknownUsage ? null : 200 + Math.floor(rand() * 3000)
    const output = unknownUsage ? null : 20 + Math.floor(rand() * 800)
    const cacheRead = input === null ? null : Math.floor(input * rand() * 0.5)
    const latency = lognormal(900, 0.6)
    return {
      id,
      parent,
      type: 'generation',
      name: `${m.model} call`,
      m,
      status: failing ? 'error' : 'ok',
      error: failing ? `${COMMON_PHRASE} exceeded for ${m.provider} (429)` : null,
      at,
      latency,
      ttft: Math.min(latency, lognormal(250, 0.5)),
      input,
      output,
      cacheRead,
      cost: input === null || output === null ? null : Math.round(input * m.inPrice + output * m.outPrice),
    }
  }
  const toolSpan = (id: string, parent: string, at: number): Span => {
    const name = TOOLS[Math.floor(rand() * TOOLS.length)] as string
    return {
      id,
      parent,
      type: name === 'vector_search' ? 'retrieval' : 'tool',
      name,
      m: null,
      status: 'ok',
      error: null,
      at,
      latency: lognormal(120, 0.8),
      ttft: null,
      input: null,
      output: null,
      cacheRead: null,
      cost: null,
    }
  }

  const BATCH = 20_000
  db.run('BEGIN')
  for (let i = 0; i < n; i++) {
    const at = Math.floor(start + i * step)
    const id = `tr-${i.toString(36).padStart(6, '0')}-${Math.floor(rand() * 1e9).toString(36)}`
    const failing = rand() < 0.03
    const root = generation(`${id}-s0`, null, at, false)
    const tool = toolSpan(`${id}-s1`, root.id, at + 5)
    const last = generation(`${id}-s2`, root.id, at + 10 + tool.latency, failing)
    const name = `${NAMES[i % NAMES.length]}${i % 4000 === 7 ? ` ${RARE_WORD}` : ''}`
    const prompt: [string, string] | null = i % 2 === 0 ? [`prompt-${i % 20}`, `v${i % 5}`] : null
    writeTrace(i + 1, id, at, [root, tool, last], {
      name,
      session: `sess-${Math.floor(i / 5)}`,
      user: `user-${i % 5000}`,
      prompt,
    })
    if ((i + 1) % BATCH === 0) {
      db.run('COMMIT')
      if ((i + 1) % 200_000 === 0)
        log(`  ${i + 1} traces written (${((performance.now() - t0) / 1000).toFixed(0)} s)`)
      db.run('BEGIN')
    }
  }
  // The detail benchmark's trace: 100 spans, an agent run nested three levels deep.
  const at = now - 2 * HOUR
  const spans: Span[] = []
  for (let k = 0; k < 100; k++) {
    const parent = k === 0 ? null : `${DETAIL_TRACE}-s${Math.floor((k - 1) / 4)}`
    const s =
      k % 3 === 1
        ? toolSpan(`${DETAIL_TRACE}-s${k}`, parent as string, at + k)
        : generation(`${DETAIL_TRACE}-s${k}`, parent, at + k, false)
    spans.push(s)
  }
  writeTrace(n + 1, DETAIL_TRACE, at, spans, {
    name: 'agent-run detail',
    session: null,
    user: null,
    prompt: null,
  })
  db.run('COMMIT')

  writeRollups(db, usage, traceHours)
  db.run('PRAGMA synchronous = NORMAL')
  // No ANALYZE: the server never runs it, so the planner works without statistics here too.
  db.run('PRAGMA wal_checkpoint(TRUNCATE)')
  db.close()
  return { traces: n + 1, spans: 3 * n + 100, seconds: (performance.now() - t0) / 1000 }
}

function writeRollups(db: Db, usage: Map<string, Hourly>, traceHours: Map<number, TraceHourly>) {
  const insUsage = db.prepare(
    `INSERT INTO llm_usage_hourly (project_id, hour, model, provider, span_count, error_count, input_tokens,
       input_tokens_known, output_tokens, output_tokens_known, cache_read_tokens, cache_read_tokens_known,
       cost_micros, cost_unknown_count, latency_sum_ms, latency_count, ttft_sum_ms, ttft_count, latency_sketch, ttft_sketch)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  const insTraceHour = db.prepare(
    `INSERT INTO llm_trace_hourly (project_id, hour, trace_count, error_trace_count, span_count, input_tokens,
       output_tokens, total_tokens, cost_micros, duration_sum_ms, duration_count, duration_sketch)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  db.run('BEGIN')
  for (const [key, h] of usage) {
    const [hour, model, provider] = key.split('|') as [string, string, string]
    const unknownCost = model === '' ? h.span_count : h.span_count - h.known
    insUsage.run(
      PROJECT,
      Number(hour),
      model,
      provider,
      h.span_count,
      h.error_count,
      h.input,
      h.known,
      h.output,
      h.known,
      h.cache_read,
      h.known,
      h.cost,
      unknownCost,
      h.latency_sum,
      h.latency_count,
      h.ttft_sum,
      h.ttft_count,
      encode(h.latency),
      encode(h.ttft),
    )
  }
  for (const [hour, t] of traceHours) {
    insTraceHour.run(
      PROJECT,
      hour,
      t.trace_count,
      t.error_trace_count,
      t.span_count,
      t.input,
      t.output,
      t.input + t.output,
      t.cost,
      t.duration_sum,
      t.duration_count,
      encode(t.duration),
    )
  }
  db.run('COMMIT')
}
