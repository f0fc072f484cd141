/** Environments: volume and share per environment, and percentiles of its hourly counts. */
import { useLoad } from '../../lib/hooks'
import { type AnalyticsQuery, analytics } from './api'
import { Section } from './Section'

export function Environments({ query }: { query: AnalyticsQuery }) {
  const loaded = useLoad(() => analytics.environments(query), [JSON.stringify(query)])
  return (
    <Section
      id="environments"
      title="Environments"
      about="Events per environment, its share of all events, and its usual (p50) and bad (p90, p99) hours."
      loaded={loaded}
      empty={(d) => d.environments.length === 0}
      emptyText="No events in this window."
    >
      {(d) => (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Environment</th>
                <th>Share</th>
                <th class="num">Issues</th>
                <th class="num hide-narrow">p50 / h</th>
                <th class="num hide-narrow">p90 / h</th>
                <th class="num">p99 / h</th>
              </tr>
            </thead>
            <tbody>
              {d.environments.map((e) => (
                <tr key={e.environment}>
                  <td>{e.environment}</td>
                  <td>
                    <span class="mono">{`${e.total_count} (${e.pct_of_total.toFixed(1)}%)`}</span>
                    <div class="bar" aria-hidden="true">
                      <span style={{ width: `${e.pct_of_total}%` }} />
                    </div>
                  </td>
                  <td class="num">{e.unique_errors}</td>
                  <td class="num hide-narrow">{e.p50_hourly.toFixed(1)}</td>
                  <td class="num hide-narrow">{e.p90_hourly.toFixed(1)}</td>
                  <td class="num">{e.p99_hourly.toFixed(1)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  )
}
