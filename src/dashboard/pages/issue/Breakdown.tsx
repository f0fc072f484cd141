/** Counts per release and environment (the aggregates), newest first. */
import { Ago } from '../../components/bits'
import type { AggregateRow } from '../../lib/types'

export function Breakdown({ rows }: { rows: AggregateRow[] }) {
  const total = rows.reduce((n, r) => n + r.total_count, 0)
  return (
    <div class="table-wrap">
      <table class="breakdown">
        <thead>
          <tr>
            <th>Release</th>
            <th>Environment</th>
            <th class="num">Events</th>
            <th class="hide-narrow">First seen</th>
            <th>Last seen</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={`${r.release}/${r.environment}`}>
              <td class="mono">{r.release}</td>
              <td>{r.environment}</td>
              <td class="num">
                {r.total_count}
                <div class="bar" aria-hidden="true">
                  <span style={{ width: `${total ? (100 * r.total_count) / total : 0}%` }} />
                </div>
              </td>
              <td class="hide-narrow">
                <Ago ms={r.first_seen} />
              </td>
              <td>
                <Ago ms={r.last_seen} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
