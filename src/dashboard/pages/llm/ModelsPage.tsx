/**
 * Models (`/llm/models`): per model and provider, calls, tokens (cached and reasoning
 * shown), cost, error rate, latency percentiles and time to first token. A model whose
 * spans no price matched has cost unknown, flagged here rather than shown as free.
 */
import { Loading, Notice } from '../../components/bits'
import { count } from '../../lib/format'
import { useLoad } from '../../lib/hooks'
import { href } from '../../lib/router'
import { projectSlug } from '../../lib/session'
import { llm } from './api'
import { money, ms, pct, tokens } from './format'
import { LlmNav, oneProject, windowHours } from './Nav'

export function LlmModelsPage() {
  const project = projectSlug.value ?? undefined
  const hours = windowHours()
  const models = useLoad(() => llm.models({ project_id: project, hours, limit: 200 }), [project, hours])
  const latency = useLoad(() => llm.latency({ project_id: project, hours }), [project, hours])
  const lat = new Map((latency.data?.latency ?? []).map((l) => [l.model, l]))
  const rows = models.data?.models ?? []
  return (
    <>
      <LlmNav title="Models" />
      <Notice kind="error">{models.error ?? latency.error}</Notice>
      {!models.data || !latency.data ? (
        models.error || latency.error ? null : (
          <Loading what="models" />
        )
      ) : rows.length === 0 ? (
        <p class="card empty">No model calls in this window.</p>
      ) : (
        <div class="card table-wrap">
          <table id="llm-models">
            <thead>
              <tr>
                <th>Model</th>
                <th>Provider</th>
                <th class="num">Calls</th>
                <th class="num">Input</th>
                <th class="num">Output</th>
                <th class="num">Cached</th>
                <th class="num">Reasoning</th>
                <th class="num">Cost</th>
                <th class="num">Errors</th>
                <th class="num">p50</th>
                <th class="num">p90</th>
                <th class="num">p99</th>
                <th class="num">TTFT</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((m) => {
                const l = lat.get(m.model)
                return (
                  <tr key={`${m.model}/${m.provider}`} data-model={m.model ?? ''}>
                    <td>{m.model ?? <span class="muted">(none)</span>}</td>
                    <td>{m.provider ?? '—'}</td>
                    <td class="num">{count(m.span_count)}</td>
                    <td class="num">{tokens(m.input_tokens)}</td>
                    <td class="num">{tokens(m.output_tokens)}</td>
                    <td class="num">{tokens(m.cache_read_tokens)}</td>
                    <td class="num">{tokens(m.reasoning_tokens)}</td>
                    <td class="num">
                      {money(m.cost_micros)}
                      {m.cost_unknown_count > 0 && m.model && (
                        <a
                          class="worse"
                          data-unpriced
                          href={href('/llm/settings', { project: oneProject() ?? undefined, price: m.model })}
                        >
                          {' '}
                          {m.cost_unknown_count} unpriced: add a price
                        </a>
                      )}
                    </td>
                    <td class="num">{pct(m.error_rate)}</td>
                    <td class="num">{ms(l?.p50_ms)}</td>
                    <td class="num">{ms(l?.p90_ms)}</td>
                    <td class="num">{ms(l?.p99_ms)}</td>
                    <td class="num">{ms(m.avg_ttft_ms)}</td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  )
}
