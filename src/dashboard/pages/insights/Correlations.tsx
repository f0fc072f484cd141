/** Correlations: pairs of issues whose hourly counts move together; the top pair charted. */
import { useMemo } from 'preact/hooks'
import { Chart } from '../../components/Chart'
import { useLoad } from '../../lib/hooks'
import type { CorrelationsResponse } from '../../lib/types'
import { issue } from '../issue/api'
import { issueHref } from '../issues/IssueList'
import { type AnalyticsQuery, analytics } from './api'
import { IssueLink, Section } from './Section'

type Pair = CorrelationsResponse['pairs'][number]

function PairChart({ pair, hours }: { pair: Pair; hours: number }) {
  const both = useLoad(
    () =>
      Promise.all([
        issue.trend(pair.fingerprint_a, pair.project_a, hours),
        issue.trend(pair.fingerprint_b, pair.project_b, hours),
      ]),
    [pair.fingerprint_a, pair.fingerprint_b, hours],
  )
  const xs = useMemo(() => both.data?.[0].map((p) => p.hour_bucket) ?? [], [both.data])
  const series = useMemo(
    () => [
      { label: pair.error_type_a, values: both.data?.[0].map((p) => p.count) ?? [] },
      { label: pair.error_type_b, values: both.data?.[1].map((p) => p.count) ?? [], color: '--warn' },
    ],
    [both.data],
  )
  if (!both.data) return null
  return (
    <Chart
      xs={xs}
      series={series}
      kind="line"
      height={140}
      label="Hourly events of the most correlated pair"
    />
  )
}

export function Correlations({ query }: { query: AnalyticsQuery }) {
  const loaded = useLoad(() => analytics.correlations(query), [JSON.stringify(query)])
  return (
    <Section
      id="correlations"
      title="Correlations"
      about="Pairs of issues whose hourly counts rise and fall together (Pearson r); often one cause."
      loaded={loaded}
      empty={(d) => d.pairs.length === 0}
      emptyText="No correlated pairs (each issue needs 6 or more active hours, and r at or above the threshold)."
    >
      {(d) => (
        <>
          {d.pairs[0] && <PairChart pair={d.pairs[0]} hours={d.window_hours} />}
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Issue</th>
                  <th>Moves with</th>
                  <th class="num">r</th>
                </tr>
              </thead>
              <tbody>
                {d.pairs.map((p) => (
                  <tr key={`${p.fingerprint_a}/${p.fingerprint_b}`}>
                    <td>
                      <IssueLink
                        href={issueHref({ fingerprint: p.fingerprint_a, project_id: p.project_a })}
                        type={p.error_type_a}
                        message={p.message_a}
                      />
                    </td>
                    <td>
                      <IssueLink
                        href={issueHref({ fingerprint: p.fingerprint_b, project_id: p.project_b })}
                        type={p.error_type_b}
                        message={p.message_b}
                      />
                    </td>
                    <td class="num mono">{p.correlation.toFixed(2)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </Section>
  )
}
