/**
 * A sample's breadcrumbs as a timeline ending in the error (docs/decisions.md,
 * "Breadcrumbs"): oldest first, newest last, each with its time relative to the error,
 * category, level, message and data.
 */
import type { Sample } from '../../lib/types'

type Crumb = Sample['breadcrumbs'][number]

/** "-1.2 s" before the error, from the crumb's and the event's client times. */
function before(ms: number, at: number): string {
  const d = (ms - at) / 1000
  if (Math.abs(d) < 60) return `${d <= 0 ? '' : '+'}${d.toFixed(1)} s`
  return `${d <= 0 ? '' : '+'}${(d / 60).toFixed(1)} min`
}

function Data({ data }: { data: Crumb['data'] }) {
  if (!data) return null
  const entries = Object.entries(data)
  if (entries.length === 0) return null
  return (
    <dl class="crumb-data">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{typeof v === 'string' ? v : JSON.stringify(v)}</dd>
        </div>
      ))}
    </dl>
  )
}

export function Breadcrumbs({ sample }: { sample: Sample }) {
  const crumbs = sample.breadcrumbs
  if (crumbs.length === 0) return <p class="muted">No breadcrumbs were sent with this event.</p>
  return (
    <ol class="timeline" aria-label="Breadcrumbs, oldest first">
      {crumbs.map((c, i) => (
        <li key={`${i}-${c.timestamp}`} class={`crumb level-${c.level}`} data-category={c.category ?? ''}>
          <time class="crumb-when" dateTime={new Date(c.timestamp).toISOString()}>
            {before(c.timestamp, sample.timestamp)}
          </time>
          <span class="crumb-category">{c.category ?? c.type ?? 'default'}</span>
          <span class={`crumb-level badge ${c.level}`}>{c.level}</span>
          <div class="crumb-body">
            {c.message && <p class="crumb-message">{c.message}</p>}
            <Data data={c.data} />
          </div>
        </li>
      ))}
      <li class="crumb crumb-error level-error">
        <time class="crumb-when" dateTime={new Date(sample.timestamp).toISOString()}>
          0 s
        </time>
        <span class="crumb-category">error</span>
        <span class="crumb-level badge error">{sample.level ?? 'error'}</span>
        <div class="crumb-body">
          <p class="crumb-message">
            <strong>{sample.error_type}</strong>: {sample.message}
          </p>
        </div>
      </li>
    </ol>
  )
}
