/**
 * Insights (`/insights`): the five analytics views over a window of hours, for the
 * selected project and optionally one environment (both in the URL). The server's
 * analytics status is read first, so a server with analytics switched off or a slim
 * binary gets a plain explanation instead of five errors.
 */
import { Loading, Notice } from '../../components/bits'
import { useLoad } from '../../lib/hooks'
import { route, setQuery } from '../../lib/router'
import { projectSlug } from '../../lib/session'
import { type AnalyticsQuery, analytics } from './api'
import { Correlations } from './Correlations'
import { Environments } from './Environments'
import { Movers } from './Movers'
import { Releases } from './Releases'
import { Spikes } from './Spikes'

const WINDOWS = [24, 72, 168, 720]

const UNAVAILABLE: Record<string, string> = {
  disabled: 'Analytics is switched off on this server (analytics.enabled = false).',
  slim: 'This bloop binary was built slim, without DuckDB, so analytics is not available.',
  failed: 'Analytics could not start on this server.',
}

export function InsightsPage() {
  const q = route.value.query
  const project = projectSlug.value
  const hours = WINDOWS.includes(Number(q.get('hours'))) ? Number(q.get('hours')) : 72
  const environment = q.get('environment') ?? ''
  const status = useLoad(() => analytics.status(project ?? undefined), [project])
  const query: AnalyticsQuery = {
    project_id: project ?? undefined,
    hours,
    environment: environment || undefined,
  }
  const key = JSON.stringify(query)

  return (
    <>
      <div class="page-head">
        <h1>Insights</h1>
        <form class="filters inline" onSubmit={(ev) => ev.preventDefault()}>
          <label class="field">
            <span>Window</span>
            <select
              id="insights-hours"
              value={String(hours)}
              onChange={(ev) => setQuery({ hours: (ev.target as HTMLSelectElement).value })}
            >
              {WINDOWS.map((h) => (
                <option key={h} value={String(h)}>
                  {h < 168 ? `${h} hours` : `${h / 24} days`}
                </option>
              ))}
            </select>
          </label>
          <label class="field">
            <span>Environment</span>
            <input
              id="insights-environment"
              type="search"
              placeholder="all"
              value={environment}
              onChange={(ev) => setQuery({ environment: (ev.target as HTMLInputElement).value.trim() })}
            />
          </label>
        </form>
      </div>
      <Notice kind="error">{status.error}</Notice>
      {!status.data ? (
        status.error ? null : (
          <Loading what="analytics" />
        )
      ) : status.data.state !== 'ready' && status.data.state !== 'starting' ? (
        <div class="card empty" id="insights-unavailable">
          <p>{UNAVAILABLE[status.data.state] ?? `Analytics is ${status.data.state}.`}</p>
          {status.data.message && <p class="muted">{status.data.message}</p>}
        </div>
      ) : (
        <div class="insights" key={key}>
          <Spikes query={query} />
          <Movers query={query} />
          <Releases query={query} />
          <Environments query={query} />
          <Correlations query={query} />
        </div>
      )}
    </>
  )
}
