/**
 * The issues page (`/`): totals, the event-volume chart, the search box, filters, the issue list with
 * sparklines and paging. Everything re-reads when a live tick names the project shown,
 * so new issues and counts appear without a reload. With no events at all, the setup
 * guide takes the list's place. Rows can be selected (x, or their checkbox) for the bulk
 * actions of BulkBar; `?` lists the shortcuts.
 */
import { useEffect, useMemo, useState } from 'preact/hooks'
import { Notice } from '../../components/bits'
import { Chart } from '../../components/Chart'
import { KeyHelp } from '../../components/KeyHelp'
import { withQuery } from '../../lib/api'
import { count } from '../../lib/format'
import { useAction, useKeys, useLoad } from '../../lib/hooks'
import { tick, touches } from '../../lib/live'
import { route, setQuery } from '../../lib/router'
import { projectSlug, selectedProject } from '../../lib/session'
import { issues } from './api'
import { BulkBar, type BulkProps, focusAssign, MAX_SELECTED, runBulk } from './BulkBar'
import { Filters, type Suggestions } from './Filters'
import { apiQuery, chartHours, filterParams, narrowed, PAGE_SIZE, readFilters } from './filterState'
import { focusedIssue, IssueList, keyOf, moveFocus } from './IssueList'
import { Search } from './Search'
import { SetupGuide } from './SetupGuide'

const SHORTCUTS = [
  { keys: 'j / k', does: 'Next / previous issue' },
  { keys: 'Enter', does: 'Open the issue' },
  { keys: 'x', does: 'Select or unselect the issue' },
  { keys: 'r', does: 'Resolve the selection (or the issue)' },
  { keys: 'i', does: 'Ignore' },
  { keys: 'm', does: 'Mute' },
  { keys: 'u', does: 'Unresolve' },
  { keys: 'a', does: 'Assign' },
  { keys: '/', does: 'Search' },
]

const uniq = (xs: (string | null)[]) => [...new Set(xs.filter((x): x is string => Boolean(x)))].sort()

export function IssuesPage() {
  const query = route.value.query
  const filters = useMemo(() => readFilters(query), [query.toString()])
  const project = projectSlug.value
  const key = `${project}|${query.toString()}`
  const hours = chartHours(filters)

  const list = useLoad(() => issues.list(apiQuery(filters, project, Date.now())), [key])
  const volume = useLoad(
    () =>
      issues.volume({
        project_id: project ?? undefined,
        environment: filters.environment || undefined,
        hours,
      }),
    [project, filters.environment, hours],
  )
  const stats = useLoad(() => issues.stats(project ?? undefined), [project])

  const [selected, setSelected] = useState<Set<string>>(new Set())
  const [allMatching, setAllMatching] = useState(false)
  const [notice, setNotice] = useState<string | null>(null)
  const users = useLoad(() => issues.assignees(project ?? undefined), [project])
  const action = useAction()
  // A new list (other filters, page or project) starts with nothing selected.
  useEffect(() => {
    setSelected(new Set())
    setAllMatching(false)
  }, [key])

  const items = list.data?.items ?? []
  const toggle = (i: { project_id: string; fingerprint: string }) => {
    setAllMatching(false)
    setSelected((prev) => {
      const next = new Set(prev)
      if (next.has(keyOf(i))) next.delete(keyOf(i))
      else if (next.size < MAX_SELECTED) next.add(keyOf(i))
      return next
    })
  }
  const chosen = items.filter((i) => selected.has(keyOf(i)))
  const { limit: _l, offset: _o, trend_hours: _t, ...matchingQuery } = apiQuery(filters, project, Date.now())
  const bulk: BulkProps = {
    selected: chosen,
    allMatching,
    total: list.data?.total ?? 0,
    pageFull: chosen.length === items.length,
    matching: withQuery('', matchingQuery).replace(/^\?/, ''),
    users: users.data ?? [],
    action,
    onSelectAll: () => setAllMatching(true),
    onClear: () => {
      setSelected(new Set())
      setAllMatching(false)
    },
    onDone: (r) => {
      setNotice(`${r.changed} of ${r.matched} ${r.matched === 1 ? 'issue' : 'issues'} changed`)
      setSelected(new Set())
      setAllMatching(false)
      void list.reload()
      void stats.reload()
    },
  }
  /** The selection, or the focused row when nothing is selected. */
  const act = (a: 'resolve' | 'ignore' | 'mute' | 'unresolve') => (ev: KeyboardEvent) => {
    const focused = focusedIssue(items)
    if (chosen.length === 0 && !allMatching && !focused) return
    ev.preventDefault()
    void runBulk(
      chosen.length > 0 || allMatching ? bulk : { ...bulk, selected: [focused as (typeof items)[0]] },
      a,
    )
  }
  const step = (delta: number) => (ev: KeyboardEvent) => {
    ev.preventDefault()
    moveFocus(delta)
  }
  useKeys(
    {
      j: step(1),
      k: step(-1),
      ArrowDown: step(1),
      ArrowUp: step(-1),
      x: (ev) => {
        const focused = focusedIssue(items)
        if (!focused) return
        ev.preventDefault()
        toggle(focused)
      },
      r: act('resolve'),
      i: act('ignore'),
      m: act('mute'),
      u: act('unresolve'),
      a: (ev) => {
        const focused = focusedIssue(items)
        if (chosen.length === 0 && focused) toggle(focused)
        if (chosen.length === 0 && !focused) return
        ev.preventDefault()
        // The bar appears with the selection; focus its picker once it is drawn.
        requestAnimationFrame(focusAssign)
      },
    },
    [items, chosen.length, allMatching, bulk.matching],
  )

  const t = tick.value
  useEffect(() => {
    if (t.n === 0 || !touches(t, selectedProject.value?.id ?? null)) return
    void list.reload()
    void volume.reload()
    void stats.reload()
  }, [t])

  const suggestions: Suggestions = {
    releases: uniq(items.flatMap((i) => i.releases)),
    environments: uniq(items.flatMap((i) => i.environments)),
    sources: uniq(items.map((i) => i.source)),
    routes: uniq(items.map((i) => i.route_or_procedure)),
  }
  const total = list.data?.total ?? 0
  const nothingYet = stats.data?.total_errors === 0
  const xs = volume.data?.map((p) => p.hour_bucket) ?? []
  const series = useMemo(
    () => [{ label: 'Events', values: volume.data?.map((p) => p.count) ?? [] }],
    [volume.data],
  )

  return (
    <>
      <div class="page-head">
        <h1>Issues</h1>
        {stats.data && (
          <div class="stats">
            <div class="stat">
              <strong id="stat-unresolved">{count(stats.data.unresolved_errors)}</strong>
              <span>unresolved</span>
            </div>
            <div class="stat">
              <strong id="stat-total">{count(stats.data.total_errors)}</strong>
              <span>issues</span>
            </div>
            <div class="stat">
              <strong id="stat-events">{count(stats.data.total_events_24h)}</strong>
              <span>events in 24 h</span>
            </div>
          </div>
        )}
      </div>
      {nothingYet ? (
        <SetupGuide />
      ) : (
        <>
          <section class="card volume" aria-label="Event volume">
            <div class="card-head">
              <h2>Event volume</h2>
              <span class="muted">{`hourly, last ${hours} h`}</span>
            </div>
            {volume.data && (
              <Chart xs={xs} series={series} height={140} label={`Events per hour, last ${hours} hours`} />
            )}
          </section>
          <Search value={filters.q} onApply={(q) => setQuery(filterParams({ ...filters, q, offset: 0 }))} />
          <Filters filters={filters} suggestions={suggestions} />
          <Notice kind="error">{list.error}</Notice>
          {list.data && items.length === 0 && (
            <div class="card empty">
              <p>{narrowed(filters) ? 'No issues match these filters.' : 'No unresolved issues. Nice.'}</p>
            </div>
          )}
          <Notice kind="error">{action.error}</Notice>
          {notice && (
            <p class="notice ok" role="status" id="bulk-notice">
              {notice}
            </p>
          )}
          {items.length > 0 && (
            <div class="list-head">
              <label class="select-page">
                <input
                  type="checkbox"
                  id="select-page"
                  checked={chosen.length === items.length}
                  onChange={() => {
                    setAllMatching(false)
                    setSelected(chosen.length === items.length ? new Set() : new Set(items.map(keyOf)))
                  }}
                />{' '}
                Select page
              </label>
              <KeyHelp shortcuts={SHORTCUTS} />
            </div>
          )}
          {(chosen.length > 0 || allMatching) && <BulkBar {...bulk} />}
          {items.length > 0 && <IssueList items={items} selected={selected} onToggle={toggle} />}
          {list.data && total > PAGE_SIZE && (
            <nav class="pager" aria-label="Pages">
              <span class="muted">
                {`${filters.offset + 1}-${Math.min(total, filters.offset + PAGE_SIZE)} of ${total}`}
              </span>
              <div class="btn-row">
                <button
                  type="button"
                  class="btn small"
                  disabled={filters.offset === 0}
                  onClick={() =>
                    setQuery(filterParams({ ...filters, offset: Math.max(0, filters.offset - PAGE_SIZE) }))
                  }
                >
                  Previous
                </button>
                <button
                  type="button"
                  class="btn small"
                  disabled={filters.offset + PAGE_SIZE >= total}
                  onClick={() => setQuery(filterParams({ ...filters, offset: filters.offset + PAGE_SIZE }))}
                >
                  Next
                </button>
              </div>
            </nav>
          )}
        </>
      )}
    </>
  )
}
