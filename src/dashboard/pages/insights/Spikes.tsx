/** Spikes: hours far above an issue's other hours (z-score), with the top one charted. */
import { useMemo } from 'preact/hooks'
import { Chart } from '../../components/Chart'
import { hourLabel } from '../../lib/format'
import { useLoad } from '../../lib/hooks'
import { issue } from '../issue/api'
import { issueHref } from '../issues/IssueList'
import { type AnalyticsQuery, analytics } from './api'
import { IssueLink, Section } from './Section'

const z = (v: number | null) => (v === null ? '∞' : v.toFixed(1))

function TopTrend({ fp, project, hours }: { fp: string; project: string; hours: number }) {
  const trend = useLoad(() => issue.trend(fp, project, hours), [fp, project, hours])
  const xs = useMemo(() => trend.data?.map((p) => p.hour_bucket) ?? [], [trend.data])
  const series = useMemo(
    () => [{ label: 'Events', values: trend.data?.map((p) => p.count) ?? [] }],
    [trend.data],
  )
  if (!trend.data) return null
  return <Chart xs={xs} series={series} height={120} label="Hourly events of the top spiking issue" />
}

export function Spikes({ query }: { query: AnalyticsQuery }) {
  const loaded = useLoad(() => analytics.spikes(query), [JSON.stringify(query)])
  return (
    <Section
      id="spikes"
      title="Spikes"
      about="Hours where an issue ran far above its other hours (z-score against the rest of the window)."
      loaded={loaded}
      empty={(d) => d.spikes.length === 0}
      emptyText="No spikes in this window."
    >
      {(d) => {
        const top = d.spikes[0]
        const maxZ = Math.max(1, ...d.spikes.map((s) => s.zscore ?? 0))
        return (
          <>
            {top && <TopTrend fp={top.fingerprint} project={top.project_id} hours={d.window_hours} />}
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>Issue</th>
                    <th>Hour</th>
                    <th class="num">Events</th>
                    <th class="num">Usual</th>
                    <th>z</th>
                  </tr>
                </thead>
                <tbody>
                  {d.spikes.map((s) => (
                    <tr key={`${s.project_id}/${s.fingerprint}/${s.hour_bucket}`}>
                      <td>
                        <IssueLink href={issueHref(s)} type={s.error_type} message={s.message} />
                      </td>
                      <td>{hourLabel(s.hour_bucket)}</td>
                      <td class="num">{s.count}</td>
                      <td class="num">{s.mean.toFixed(1)}</td>
                      <td>
                        <span class="mono">{z(s.zscore)}</span>
                        <div class="bar" aria-hidden="true">
                          <span style={{ width: `${s.zscore === null ? 100 : (100 * s.zscore) / maxZ}%` }} />
                        </div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )
      }}
    </Section>
  )
}
