/**
 * The LLM overview (`/llm`): the window's figures with their change against the window
 * before, hourly cost and tokens by model, and the month's spend against the budget.
 *
 * The previous window is read as the difference of two overviews (2h hours minus h
 * hours): both end with the current hour bucket, so what the longer adds is exactly the
 * window before. A percentile cannot be split that way: the API answers the p95 latency
 * of the window before itself (`previous_p95_latency_ms`).
 */
import { useMemo } from 'preact/hooks'
import { Loading, Notice } from '../../components/bits'
import { Chart, type Series } from '../../components/Chart'
import { count } from '../../lib/format'
import { useLoad } from '../../lib/hooks'
import { projectSlug } from '../../lib/session'
import { type Budget, llm, type Overview, type UsageRow } from './api'
import { change, money, ms, pct, tokens } from './format'
import { LlmNav, oneProject, windowHours } from './Nav'

const HOUR = 3_600_000
/** Models charted one by one; the rest are summed as "other". */
const TOP_MODELS = 5

function Card(p: {
  id: string
  label: string
  value: string
  delta?: number | null
  lowerIsBetter?: boolean
}) {
  const d = p.delta
  const better = d === null || d === undefined ? '' : d < 0 === !!p.lowerIsBetter ? 'better' : 'worse'
  return (
    <div class="card stat" id={`llm-card-${p.id}`}>
      <span>{p.label}</span>
      <strong>{p.value}</strong>
      <span class={`delta ${d ? better : ''}`}>
        {d === null || d === undefined
          ? 'no previous data'
          : `${d > 0 ? '+' : ''}${d.toFixed(0)}% vs previous`}
      </span>
    </div>
  )
}

function Cards({ now, both }: { now: Overview; both: Overview }) {
  const prev = (a: number | null, b: number | null) => (a === null || b === null ? null : b - a)
  const prevTraces = both.total_traces - now.total_traces
  const prevErrRate = prevTraces > 0 ? (both.error_trace_count - now.error_trace_count) / prevTraces : null
  return (
    <div class="llm-cards">
      <Card
        id="traces"
        label="Traces"
        value={count(now.total_traces)}
        delta={change(now.total_traces, prevTraces)}
      />
      <Card
        id="spans"
        label="Spans"
        value={count(now.total_spans)}
        delta={change(now.total_spans, both.total_spans - now.total_spans)}
      />
      <Card
        id="tokens"
        label="Tokens"
        value={tokens(now.total_tokens)}
        delta={change(now.total_tokens, prev(now.total_tokens, both.total_tokens))}
      />
      <Card
        id="cost"
        label="Cost"
        value={money(now.total_cost_micros)}
        delta={change(now.total_cost_micros, prev(now.total_cost_micros, both.total_cost_micros))}
        lowerIsBetter
      />
      <Card
        id="errors"
        label="Trace error rate"
        value={pct(now.trace_error_rate)}
        delta={change(now.trace_error_rate, prevErrRate)}
        lowerIsBetter
      />
      <Card
        id="p95"
        label="p95 span latency"
        value={ms(now.p95_latency_ms)}
        delta={change(now.p95_latency_ms, now.previous_p95_latency_ms)}
        lowerIsBetter
      />
    </div>
  )
}

/** Hourly series by model over the whole window (hours with nothing are zero). */
function byModel(all: UsageRow[], hours: number, pick: (r: UsageRow) => number | null) {
  // Spans without a model (tools, retrievals) have no tokens or price to chart.
  const rows = all.filter((r) => r.model !== null)
  const last = Math.floor(Date.now() / HOUR) * HOUR
  const xs = Array.from({ length: hours }, (_, i) => last - (hours - 1 - i) * HOUR)
  const totals = new Map<string, number>()
  for (const r of rows)
    totals.set(r.model ?? '(none)', (totals.get(r.model ?? '(none)') ?? 0) + (pick(r) ?? 0))
  const top = [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP_MODELS)
    .map(([m]) => m)
  const index = new Map(xs.map((x, i) => [x, i]))
  const series = new Map<string, number[]>()
  for (const r of rows) {
    const name = top.includes(r.model ?? '(none)') ? (r.model ?? '(none)') : 'other'
    const i = index.get(r.hour_bucket)
    if (i === undefined) continue
    const values = series.get(name) ?? xs.map(() => 0)
    values[i] = (values[i] ?? 0) + (pick(r) ?? 0)
    series.set(name, values)
  }
  const colors = ['--chart', '--danger', '--muted', '--accent', '--fg', '--border']
  const out: Series[] = [...series].map(([label, values], i) => ({
    label,
    values,
    color: colors[i % colors.length],
  }))
  return { xs, series: out }
}

function Usage({ project, hours }: { project?: string; hours: number }) {
  const usage = useLoad(() => llm.usage({ project_id: project, hours, limit: 200 }), [project, hours])
  const cost = useMemo(
    () => byModel(usage.data?.usage ?? [], hours, (r) => r.cost_micros),
    [usage.data, hours],
  )
  const toks = useMemo(
    () => byModel(usage.data?.usage ?? [], hours, (r) => r.total_tokens),
    [usage.data, hours],
  )
  if (usage.error) return <Notice kind="error">{usage.error}</Notice>
  if (!usage.data) return <Loading what="usage" />
  if (usage.data.usage.length === 0)
    return <p class="card empty">No LLM calls in this window yet. Send traces to POST /v1/traces.</p>
  return (
    <div class="grid-2">
      <section class="card" id="llm-cost-chart">
        <h2>Cost by model, per hour</h2>
        <Chart xs={cost.xs} series={cost.series} kind="line" label="Hourly cost by model" format={money} />
      </section>
      <section class="card" id="llm-tokens-chart">
        <h2>Tokens by model, per hour</h2>
        <Chart xs={toks.xs} series={toks.series} kind="line" label="Hourly tokens by model" format={count} />
      </section>
    </div>
  )
}

function BudgetCard({ b }: { b: Budget }) {
  const used = b.budget_used_rate
  return (
    <section class="card" id="llm-budget">
      <h2>Budget this month</h2>
      {b.monthly_budget_micros === 0 ? (
        <p>
          Spent <strong>{money(b.current_month_spend_micros)}</strong> so far, forecast{' '}
          <strong>{money(b.forecast_month_end_micros)}</strong> by month end. No budget is set.
        </p>
      ) : (
        <>
          <p>
            Spent <strong id="llm-budget-spend">{money(b.current_month_spend_micros)}</strong> of{' '}
            {money(b.monthly_budget_micros)} ({pct(used)}); forecast{' '}
            <strong id="llm-budget-forecast">{money(b.forecast_month_end_micros)}</strong> by month end
            {b.forecast_over_budget ? ', over budget' : ''}.
          </p>
          <div class={`bar ${b.alert_threshold_reached ? 'worse' : ''}`} aria-hidden="true">
            <span style={{ width: `${Math.min(100, (used ?? 0) * 100)}%` }} />
          </div>
          {b.alert_threshold_reached && (
            <Notice kind="error">The alert threshold ({pct(b.budget_alert_rate)}) is reached.</Notice>
          )}
        </>
      )}
    </section>
  )
}

function BudgetOf({ project }: { project: string }) {
  const b = useLoad(() => llm.budget(project), [project])
  if (b.error) return <Notice kind="error">{b.error}</Notice>
  return b.data ? <BudgetCard b={b.data} /> : <Loading what="budget" />
}

export function LlmOverviewPage() {
  const project = projectSlug.value ?? undefined
  const hours = windowHours()
  const now = useLoad(() => llm.overview({ project_id: project, hours }), [project, hours])
  const both = useLoad(() => llm.overview({ project_id: project, hours: hours * 2 }), [project, hours])
  const one = oneProject()
  return (
    <>
      <LlmNav title="LLM" />
      <Notice kind="error">{now.error ?? both.error}</Notice>
      {now.data && both.data ? <Cards now={now.data} both={both.data} /> : <Loading what="overview" />}
      <Usage project={project} hours={hours} />
      {one ? (
        <BudgetOf project={one} />
      ) : (
        <p class="card muted" id="llm-budget">
          Choose a project to see its budget.
        </p>
      )}
    </>
  )
}
