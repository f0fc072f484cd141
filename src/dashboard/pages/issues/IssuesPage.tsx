/**
 * The issues page (`/`): totals, the event-volume chart, the search box, filters, the issue list with
 * sparklines and paging. Everything re-reads when a live tick names the project shown,
 * so new issues and counts appear without a reload. With no events at all, the setup
 * guide takes the list's place.
 */
import { useEffect, useMemo } from 'preact/hooks'
import { Notice } from '../../components/bits'
import { Chart } from '../../components/Chart'
import { count } from '../../lib/format'
import { useKeys, useLoad } from '../../lib/hooks'
import { tick, touches } from '../../lib/live'
import { route, setQuery } from '../../lib/router'
import { projectSlug, selectedProject } from '../../lib/session'
import { issues } from './api'
import { Filters, type Suggestions } from './Filters'
import { apiQuery, chartHours, filterParams, narrowed, PAGE_SIZE, readFilters } from './filterState'
import { IssueList, moveFocus } from './IssueList'
import { Search } from './Search'
import { SetupGuide } from './SetupGuide'

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

  const step = (delta: number) => (ev: KeyboardEvent) => {
    ev.preventDefault()
    moveFocus(delta)
  }
  useKeys({ j: step(1), k: step(-1), ArrowDown: step(1), ArrowUp: step(-1) }, [])

  const t = tick.value
  useEffect(() => {
    if (t.n === 0 || !touches(t, selectedProject.value?.id ?? null)) return
    void list.reload()
    void volume.reload()
    void stats.reload()
  }, [t])

  const items = list.data?.items ?? []
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
          {items.length > 0 && <IssueList items={items} />}
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
