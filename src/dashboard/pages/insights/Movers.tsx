/** Movers: issues whose count changed most against the previous window of the same length. */
import { signed } from '../../lib/format'
import { useLoad } from '../../lib/hooks'
import { issueHref } from '../issues/IssueList'
import { type AnalyticsQuery, analytics } from './api'
import { IssueLink, Section } from './Section'

export function Movers({ query }: { query: AnalyticsQuery }) {
  const loaded = useLoad(() => analytics.movers(query), [JSON.stringify(query)])
  return (
    <Section
      id="movers"
      title="Movers"
      about="Issues that changed most against the previous window of the same length."
      loaded={loaded}
      empty={(d) => d.movers.length === 0}
      emptyText="Nothing moved."
    >
      {(d) => {
        const max = Math.max(1, ...d.movers.map((m) => Math.abs(m.delta)))
        return (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Issue</th>
                  <th class="num">Now</th>
                  <th class="num hide-narrow">Before</th>
                  <th>Change</th>
                </tr>
              </thead>
              <tbody>
                {d.movers.map((m) => (
                  <tr key={`${m.project_id}/${m.fingerprint}`}>
                    <td>
                      <IssueLink href={issueHref(m)} type={m.error_type} message={m.message} />
                    </td>
                    <td class="num">{m.count_current}</td>
                    <td class="num hide-narrow">{m.count_previous}</td>
                    <td>
                      <span class={`mono ${m.delta > 0 ? 'worse' : 'better'}`}>
                        {`${signed(m.delta)} (${signed(m.delta_pct)}%)`}
                      </span>
                      <div class={`bar ${m.delta > 0 ? 'worse' : 'better'}`} aria-hidden="true">
                        <span style={{ width: `${(100 * Math.abs(m.delta)) / max}%` }} />
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      }}
    </Section>
  )
}
