/**
 * Prompt experiments (`/llm/experiments`): the list, and for the chosen one
 * (`?experiment=` in the URL) its variants with their traffic split and the traces each
 * was assigned, and the comparison of every variant against the first (the baseline) in
 * the plain words the compare API answers with ("b (v2) is 23% cheaper (95% CI 15-31%),
 * p = 0.002"), the sample-ratio check and the fixed horizon. Below, a form to create one.
 */
import { useState } from 'preact/hooks'
import { Ago, Badge, Loading, Notice } from '../../components/bits'
import { useAction, useLoad } from '../../lib/hooks'
import { href, navigate, route } from '../../lib/router'
import { projectSlug, projectSlugOf } from '../../lib/session'
import { type ExperimentDetail, experiments, type NewExperiment } from './api'
import { money, ms, pct } from './format'
import { LlmNav, oneProject } from './Nav'

const sentence = (s: string) => s.charAt(0).toUpperCase() + s.slice(1)

function Compare({ e, treatment }: { e: ExperimentDetail; treatment: string }) {
  const base = e.variants[0]?.version ?? ''
  const c = useLoad(
    () => experiments.compare(e.id, e.project_id, base, treatment),
    [e.id, base, treatment, e.updated_at],
  )
  if (c.error) return <Notice kind="error">{c.error}</Notice>
  if (!c.data) return <Loading what="comparison" />
  const r = c.data
  return (
    <div class="experiment-compare" data-treatment={treatment}>
      <h3>
        {r.treatment.name} ({r.treatment.version}) against {r.baseline.name} ({r.baseline.version})
      </h3>
      <ul class="plain-list">
        {r.results.map((m) => (
          <li key={m.metric} data-metric={m.metric} data-status={m.status}>
            {sentence(m.summary)}.
          </li>
        ))}
      </ul>
      <p class="muted" data-sample-ratio>
        {sentence(r.sample_ratio.summary)}.
      </p>
      <p class="muted" data-horizon>
        {r.peeking.observed_per_arm} of {r.peeking.planned_per_arm} traces per arm: {r.peeking.advice}.
      </p>
      <p data-recommendation>
        <strong>{r.recommendation}</strong>
      </p>
      {r.truncated && <Notice>Only the earliest 200,000 traces per arm are compared.</Notice>}
    </div>
  )
}

function Detail({ id, project }: { id: string; project: string }) {
  const d = useLoad(() => experiments.get(id, project), [id, project])
  const action = useAction()
  if (d.error) return <Notice kind="error">{d.error}</Notice>
  const e = d.data
  if (!e) return <Loading what="experiment" />
  const set = async (status: 'running' | 'paused' | 'concluded') => {
    const next = await action.run(() => experiments.setStatus(e.id, e.project_id, status))
    if (next) d.set(next)
  }
  return (
    <section class="card" id="llm-experiment" aria-labelledby="llm-experiment-title">
      <div class="page-head">
        <h2 id="llm-experiment-title">
          {e.name} <Badge kind={e.status === 'running' ? 'ok' : 'muted'}>{e.status}</Badge>
        </h2>
        <div class="btn-row">
          {e.status === 'running' && (
            <button type="button" class="btn small" disabled={action.busy} onClick={() => set('paused')}>
              Pause
            </button>
          )}
          {e.status === 'paused' && (
            <button type="button" class="btn small" disabled={action.busy} onClick={() => set('running')}>
              Resume
            </button>
          )}
          {e.status !== 'concluded' && (
            <button type="button" class="btn small" disabled={action.busy} onClick={() => set('concluded')}>
              Conclude
            </button>
          )}
        </div>
      </div>
      <Notice kind="error">{action.error}</Notice>
      <p class="muted">
        Prompt <strong>{e.prompt_name}</strong>, started <Ago ms={e.started_at} />
        {e.concluded_at !== null && (
          <>
            , concluded <Ago ms={e.concluded_at} />
          </>
        )}
        . A trace counts for a variant when it names the prompt and the variant's version.
      </p>
      <div class="table-wrap">
        <table id="llm-variants">
          <thead>
            <tr>
              <th>Variant</th>
              <th>Version</th>
              <th class="num">Traffic</th>
              <th class="num">Traces</th>
              <th class="num">Mean latency</th>
              <th class="num">Mean cost</th>
              <th class="num">Errors</th>
              <th class="num">Thumbs up</th>
            </tr>
          </thead>
          <tbody>
            {e.variants.map((v) => (
              <tr key={v.version} data-version={v.version}>
                <td>{v.name}</td>
                <td>
                  <a
                    href={href('/llm/traces', {
                      project: projectSlugOf(e.project_id),
                      prompt_name: e.prompt_name,
                      prompt_version: v.version,
                    })}
                  >
                    {v.version}
                  </a>
                </td>
                <td class="num">{v.traffic_percentage}%</td>
                <td class="num">{v.metrics.traces}</td>
                <td class="num">{ms(v.metrics.mean_latency_ms)}</td>
                <td class="num">
                  {money(v.metrics.mean_cost_usd === null ? null : Math.round(v.metrics.mean_cost_usd * 1e6))}
                </td>
                <td class="num">{pct(v.metrics.error_rate)}</td>
                <td class="num">{pct(v.metrics.thumbs_up_rate)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {e.variants.slice(1).map((v) => (
        <Compare key={v.version} e={e} treatment={v.version} />
      ))}
    </section>
  )
}

interface Row {
  name: string
  version: string
  traffic: string
}

function CreateForm({ project }: { project: string }) {
  const [name, setName] = useState('')
  const [prompt, setPrompt] = useState('')
  const [planned, setPlanned] = useState('')
  const [rows, setRows] = useState<Row[]>([
    { name: 'a', version: 'v1', traffic: '50' },
    { name: 'b', version: 'v2', traffic: '50' },
  ])
  const action = useAction()
  const [invalid, setInvalid] = useState<string | null>(null)
  const edit = (i: number, k: keyof Row) => (ev: Event) =>
    setRows(rows.map((r, j) => (j === i ? { ...r, [k]: (ev.target as HTMLInputElement).value } : r)))
  const create = async (ev: Event) => {
    ev.preventDefault()
    // Said here rather than by the server's 400: in basis points, as the server sums them.
    const total = rows.reduce((n, r) => n + Math.round(Number(r.traffic) * 100), 0)
    setInvalid(total === 10_000 ? null : `The traffic must sum to 100%; it sums to ${total / 100}%.`)
    if (total !== 10_000) return
    const body: NewExperiment = {
      name,
      prompt_name: prompt || name,
      planned_per_arm: planned ? Number(planned) : undefined,
      variants: rows.map((r) => ({
        name: r.name,
        version: r.version,
        traffic_percentage: Number(r.traffic),
      })),
    }
    const made = await action.run(() => experiments.create(project, body))
    if (made) navigate(href('/llm/experiments', { project, experiment: made.id }))
  }
  return (
    <form class="card form" id="llm-experiment-form" onSubmit={create}>
      <h2>New experiment</h2>
      <p class="muted">
        Each variant is a version of one prompt. Apps ask{' '}
        <code>GET /v1/llm/experiments/:id/assign?unit=</code> which version a user or session gets, and send
        it as the trace's <code>prompt_version</code>.
      </p>
      <div class="field-row">
        <label class="field">
          <span>Name</span>
          <input
            id="llm-exp-name"
            required
            maxLength={200}
            value={name}
            onInput={(ev) => setName((ev.target as HTMLInputElement).value)}
          />
        </label>
        <label class="field">
          <span>Prompt name</span>
          <input
            id="llm-exp-prompt"
            maxLength={200}
            placeholder="the experiment's name"
            value={prompt}
            onInput={(ev) => setPrompt((ev.target as HTMLInputElement).value)}
          />
        </label>
        <label class="field">
          <span>Traces per arm before reading p-values</span>
          <input
            id="llm-exp-planned"
            type="number"
            min="2"
            step="1"
            placeholder="393 (a small effect)"
            value={planned}
            onInput={(ev) => setPlanned((ev.target as HTMLInputElement).value)}
          />
        </label>
      </div>
      <fieldset class="variants">
        <legend>Variants (the first is the baseline; traffic sums to 100%)</legend>
        {rows.map((r, i) => (
          <div class="field-row" key={i} data-variant={i}>
            <label class="field">
              <span>Variant</span>
              <input required value={r.name} onInput={edit(i, 'name')} />
            </label>
            <label class="field">
              <span>Version</span>
              <input required value={r.version} onInput={edit(i, 'version')} />
            </label>
            <label class="field">
              <span>Traffic (%)</span>
              <input
                required
                type="number"
                min="0"
                max="100"
                step="any"
                value={r.traffic}
                onInput={edit(i, 'traffic')}
              />
            </label>
          </div>
        ))}
        <div class="btn-row">
          {rows.length < 10 && (
            <button
              type="button"
              class="btn small"
              onClick={() =>
                setRows([
                  ...rows,
                  { name: `v${rows.length + 1}`, version: `v${rows.length + 1}`, traffic: '0' },
                ])
              }
            >
              Add variant
            </button>
          )}
          {rows.length > 2 && (
            <button type="button" class="btn small" onClick={() => setRows(rows.slice(0, -1))}>
              Remove the last
            </button>
          )}
        </div>
      </fieldset>
      <Notice kind="error">{invalid ?? action.error}</Notice>
      <div class="btn-row">
        <button type="submit" class="btn primary" disabled={action.busy}>
          Create experiment
        </button>
      </div>
    </form>
  )
}

export function LlmExperimentsPage() {
  const project = projectSlug.value ?? undefined
  const chosen = route.value.query.get('experiment')
  const list = useLoad(() => experiments.list(project), [project, chosen])
  const one = oneProject()
  const rows = list.data?.experiments ?? []
  const picked = rows.find((e) => e.id === chosen)
  return (
    <>
      <LlmNav title="Experiments" window={false} />
      <Notice kind="error">{list.error}</Notice>
      {!list.data ? (
        list.error ? null : (
          <Loading what="experiments" />
        )
      ) : rows.length === 0 ? (
        <p class="card empty" id="llm-experiments-empty">
          No experiments yet.
        </p>
      ) : (
        <div class="card table-wrap">
          <table id="llm-experiments">
            <thead>
              <tr>
                <th>Experiment</th>
                <th>Prompt</th>
                <th>Status</th>
                <th class="num">Variants</th>
                <th class="num">Planned per arm</th>
                <th>Started</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <tr key={e.id} data-id={e.id} class="experiment-row">
                  <td>
                    <a
                      href={href('/llm/experiments', {
                        project: projectSlugOf(e.project_id),
                        experiment: e.id,
                      })}
                      aria-current={e.id === chosen ? 'true' : undefined}
                    >
                      {e.name}
                    </a>
                  </td>
                  <td>{e.prompt_name}</td>
                  <td>
                    <Badge kind={e.status === 'running' ? 'ok' : 'muted'}>{e.status}</Badge>
                  </td>
                  <td class="num">{e.variant_count}</td>
                  <td class="num">{e.planned_per_arm}</td>
                  <td>
                    <Ago ms={e.started_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {picked && <Detail key={picked.id} id={picked.id} project={picked.project_id} />}
      {one ? (
        <CreateForm project={one} />
      ) : (
        <p class="card muted">Choose a project in the top bar to create an experiment.</p>
      )}
    </>
  )
}
