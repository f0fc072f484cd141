/**
 * Releases: per release, new issues and the change of its first-day error rate against
 * the release before; the impact score ranks them. The chart shows each release's
 * first-day error rate, oldest release first.
 */
import { useMemo } from 'preact/hooks'
import { Badge } from '../../components/bits'
import { Chart } from '../../components/Chart'
import { dateTime, signed } from '../../lib/format'
import { useLoad } from '../../lib/hooks'
import { projectName, projectSlug } from '../../lib/session'
import { type AnalyticsQuery, analytics } from './api'
import { Section } from './Section'

const impactKind = (score: number) => (score > 50 ? 'bad' : score < 0 ? 'ok' : 'muted')

export function Releases({ query }: { query: AnalyticsQuery }) {
  const loaded = useLoad(() => analytics.releases(query), [JSON.stringify(query)])
  const ordered = useMemo(
    () => [...(loaded.data?.releases ?? [])].sort((a, b) => a.first_seen - b.first_seen),
    [loaded.data],
  )
  const xs = useMemo(() => ordered.map((_, i) => i), [ordered])
  const names = useMemo(() => ordered.map((r) => r.release), [ordered])
  const series = useMemo(
    () => [{ label: 'Events per hour, first day', values: ordered.map((r) => r.first_24h_rate) }],
    [ordered],
  )
  return (
    <Section
      id="releases"
      title="Releases"
      about="New issues per release and how its first-day error rate compares with the release before."
      loaded={loaded}
      empty={(d) => d.releases.length === 0}
      emptyText="No releases with events in this window."
    >
      {(d) => (
        <>
          {ordered.length > 1 && (
            <Chart
              xs={xs}
              categories={names}
              series={series}
              height={130}
              label="First-day error rate per release"
            />
          )}
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Release</th>
                  <th class="num">Events</th>
                  <th class="num">New issues</th>
                  <th class="num hide-narrow">Rate change</th>
                  <th>Impact</th>
                </tr>
              </thead>
              <tbody>
                {d.releases.map((r) => (
                  <tr key={`${r.project_id}/${r.release}`}>
                    <td>
                      <span class="mono">{r.release}</span>
                      <div class="muted small">
                        {projectSlug.value ? '' : `${projectName(r.project_id)} · `}
                        {dateTime(r.first_seen)}
                      </div>
                    </td>
                    <td class="num">{r.events}</td>
                    <td class="num">{r.new_fingerprints}</td>
                    <td class="num hide-narrow">
                      {r.rate_change_pct === null ? '—' : `${signed(r.rate_change_pct, 1)}%`}
                    </td>
                    <td>
                      <Badge kind={impactKind(r.impact_score)}>{r.impact_score.toFixed(1)}</Badge>
                    </td>
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
