/**
 * The trace list (`/llm/traces`): every filter of the API in the URL (and the window), so
 * a filtered view can be shared and survives a reload. Filters are sent to the API as
 * they are; the server checks them (a bad one is its clear 400, shown here). The list
 * re-reads when the live stream says traces of its project were committed, and j/k (or
 * the arrow keys) move through it, Enter opening the focused trace.
 */
import { useEffect } from 'preact/hooks'
import { Ago, Badge, Loading, Notice } from '../../components/bits'
import { plural } from '../../lib/format'
import { useKeys, useLoad } from '../../lib/hooks'
import { llmTick, touches } from '../../lib/live'
import { href, route, setQuery } from '../../lib/router'
import { projectSlug, selectedProject } from '../../lib/session'
import { llm } from './api'
import { money, ms, tokens } from './format'
import { traceHref } from './links'
import { LlmNav, windowHours } from './Nav'

const PAGE = 50
/** Text filters of the list, each a query parameter of the page and of the API. */
const TEXT = [
  ['search', 'Search'],
  ['model', 'Model'],
  ['provider', 'Provider'],
  ['session_id', 'Session'],
  ['user_id', 'User'],
  ['prompt_name', 'Prompt'],
  ['prompt_version', 'Prompt version'],
] as const
const SORTS = ['newest', 'oldest', 'most_expensive', 'slowest']

function Filters() {
  const q = route.value.query
  const text = (id: string) => (ev: Event) =>
    setQuery({ [id]: (ev.target as HTMLInputElement).value.trim(), offset: null })
  return (
    <form class="filters inline llm-filters" id="llm-filters" onSubmit={(ev) => ev.preventDefault()}>
      {TEXT.map(([id, label]) => (
        <label class="field" key={id}>
          <span>{label}</span>
          <input id={`llm-f-${id}`} type="search" value={q.get(id) ?? ''} onChange={text(id)} />
        </label>
      ))}
      <label class="field">
        <span>Status</span>
        <select
          id="llm-f-status"
          value={q.get('status') ?? ''}
          onChange={(ev) => setQuery({ status: (ev.target as HTMLSelectElement).value, offset: null })}
        >
          <option value="">any</option>
          <option value="completed">completed</option>
          <option value="error">error</option>
          <option value="running">running</option>
        </select>
      </label>
      <label class="field">
        <span>Errors</span>
        <select
          id="llm-f-has_error"
          value={q.get('has_error') ?? ''}
          onChange={(ev) => setQuery({ has_error: (ev.target as HTMLSelectElement).value, offset: null })}
        >
          <option value="">any</option>
          <option value="true">with a failed span</option>
          <option value="false">without failed spans</option>
        </select>
      </label>
      <label class="field">
        <span>Min cost ($)</span>
        <input
          id="llm-f-cost"
          type="number"
          min="0"
          step="any"
          value={q.get('min_cost_micros') ? Number(q.get('min_cost_micros')) / 1e6 : ''}
          onChange={(ev) => {
            const v = (ev.target as HTMLInputElement).value
            setQuery({ min_cost_micros: v === '' ? null : String(Math.round(Number(v) * 1e6)), offset: null })
          }}
        />
      </label>
      <label class="field">
        <span>Min latency (ms)</span>
        <input
          id="llm-f-latency"
          type="number"
          min="0"
          step="1"
          value={q.get('min_latency_ms') ?? ''}
          onChange={text('min_latency_ms')}
        />
      </label>
      <label class="field">
        <span>Sort</span>
        <select
          id="llm-f-sort"
          value={q.get('sort') ?? 'newest'}
          onChange={(ev) => setQuery({ sort: (ev.target as HTMLSelectElement).value, offset: null })}
        >
          {SORTS.map((s) => (
            <option key={s} value={s}>
              {s.replace('_', ' ')}
            </option>
          ))}
        </select>
      </label>
    </form>
  )
}

export function LlmTracesPage() {
  const q = route.value.query
  const project = projectSlug.value ?? undefined
  const hours = windowHours()
  const offset = Math.max(0, Number(q.get('offset')) || 0)
  const filters: Record<string, string | number | undefined> = {
    project_id: project,
    hours,
    limit: PAGE,
    offset,
  }
  for (const k of [
    ...TEXT.map(([id]) => id),
    'status',
    'sort',
    'min_cost_micros',
    'min_latency_ms',
    'has_error',
  ])
    filters[k] = q.get(k) || undefined
  // The API needs three characters to search (its index is made of trigrams).
  if (String(filters.search ?? '').length < 3) filters.search = undefined
  const key = JSON.stringify(filters)
  const list = useLoad(() => llm.traces(filters), [key])
  const rows = list.data?.traces ?? []

  // j and k move the focus through the list, Enter on a focused row opens it (a link).
  const go = (step: number) => (ev: KeyboardEvent) => {
    ev.preventDefault()
    const links = [...document.querySelectorAll<HTMLAnchorElement>('.trace-row a')]
    const at = links.indexOf(document.activeElement as HTMLAnchorElement)
    links[Math.min(links.length - 1, Math.max(0, at + step))]?.focus()
  }
  useKeys({ j: go(1), k: go(-1), ArrowDown: go(1), ArrowUp: go(-1) }, [rows])

  // New traces of the project shown: read the page again (the focus stays on its link).
  const t = llmTick.value
  useEffect(() => {
    if (t.n === 0 || !touches(t, selectedProject.value?.id ?? null)) return
    void list.reload()
  }, [t])

  return (
    <>
      <LlmNav title="Traces" />
      <Filters />
      <Notice kind="error">{list.error}</Notice>
      {!list.data ? (
        list.error ? null : (
          <Loading what="traces" />
        )
      ) : rows.length === 0 ? (
        <p class="card empty" id="llm-traces-empty">
          No traces match in this window.
        </p>
      ) : (
        <div class="card">
          <p class="muted" id="llm-traces-total">
            {list.data.total_exact ? plural(list.data.total, 'trace') : `${list.data.total} or more traces`}
          </p>
          <div class="table-wrap">
            <table id="llm-traces">
              <thead>
                <tr>
                  <th>Trace</th>
                  <th>Status</th>
                  <th>Started</th>
                  <th class="num">Duration</th>
                  <th class="num">Spans</th>
                  <th class="num">Tokens</th>
                  <th class="num">Cost</th>
                  <th>Models</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((t) => (
                  <tr key={`${t.project_id}/${t.id}`} class="trace-row" data-id={t.id}>
                    <td>
                      <a href={traceHref(t)}>{t.name ?? t.id}</a>
                    </td>
                    <td>
                      <Badge kind={t.status === 'error' ? 'bad' : t.status === 'completed' ? 'ok' : 'muted'}>
                        {t.status}
                      </Badge>
                    </td>
                    <td>
                      <Ago ms={t.started_at} />
                    </td>
                    <td class="num">{ms(t.duration_ms)}</td>
                    <td class="num">{t.span_count}</td>
                    <td class="num">{tokens(t.total_tokens)}</td>
                    <td class="num">{money(t.cost_micros)}</td>
                    <td class="muted">{t.models.join(', ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div class="pager">
            {offset > 0 && (
              <a
                class="btn small"
                href={href(route.value.path, {
                  ...Object.fromEntries(q),
                  offset: String(Math.max(0, offset - PAGE)),
                })}
              >
                Newer
              </a>
            )}
            {offset + rows.length < list.data.total && (
              <a
                class="btn small"
                href={href(route.value.path, { ...Object.fromEntries(q), offset: String(offset + PAGE) })}
              >
                Older
              </a>
            )}
          </div>
        </div>
      )}
    </>
  )
}
