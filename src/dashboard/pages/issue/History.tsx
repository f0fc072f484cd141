/** Who changed the status and when; regressions are changes by "system". */
import { Ago, Badge } from '../../components/bits'
import type { HistoryRow } from '../../lib/types'

export function History({ rows }: { rows: HistoryRow[] }) {
  if (rows.length === 0) return <p class="muted">No status changes yet.</p>
  return (
    <ol class="history">
      {rows.map((h) => (
        <li key={h.id} data-by={h.changed_by} data-status={h.new_status}>
          <span class="who">{h.changed_by === 'system' ? 'bloop (regression)' : h.changed_by}</span>{' '}
          <span class="muted">changed</span> <Badge>{h.old_status}</Badge> <span aria-hidden="true">→</span>
          <span class="sr-only">to</span> <Badge>{h.new_status}</Badge> <Ago ms={h.changed_at} />
        </li>
      ))}
    </ol>
  )
}
