/**
 * Who changed the issue and when, newest first: status changes (regressions are changes
 * by "system") and triage activity (assignment, comments, merges, resolve in the next
 * release), in one timeline.
 */
import { Ago, Badge } from '../../components/bits'
import type { Activity, HistoryRow } from '../../lib/types'

function activityText(a: Activity): string {
  const d = a.detail as Record<string, string | string[] | undefined>
  switch (a.kind) {
    case 'assigned':
      return `assigned it to ${d.assignee}`
    case 'unassigned':
      return 'unassigned it'
    case 'commented':
      return 'commented'
    case 'comment_deleted':
      return 'deleted a comment'
    case 'merged':
      return `merged ${(d.fingerprints as string[] | undefined)?.join(', ')} into it`
    case 'merged_into':
      return `merged it into ${d.target}`
    case 'unmerged':
      return `unmerged ${d.fingerprint}`
    case 'unmerged_from':
      return `unmerged it from ${d.target}`
    case 'resolved_next_release':
      return `resolved it in the release after ${d.release}`
    default:
      return a.kind
  }
}

type Entry = { at: number; key: string; row: HistoryRow | null; activity: Activity | null }

export function History({ rows, activity = [] }: { rows: HistoryRow[]; activity?: Activity[] }) {
  const entries: Entry[] = [
    ...rows.map((h) => ({ at: h.changed_at, key: `s${h.id}`, row: h, activity: null })),
    ...activity.map((a) => ({ at: a.at, key: `a${a.id}`, row: null, activity: a })),
  ].sort((a, b) => b.at - a.at)
  if (entries.length === 0) return <p class="muted">No status changes yet.</p>
  return (
    <ol class="history">
      {entries.map(({ key, row: h, activity: a }) =>
        h ? (
          <li key={key} data-by={h.changed_by} data-status={h.new_status}>
            <span class="who">{h.changed_by === 'system' ? 'bloop (regression)' : h.changed_by}</span>{' '}
            <span class="muted">changed</span> <Badge>{h.old_status}</Badge> <span aria-hidden="true">→</span>
            <span class="sr-only">to</span> <Badge>{h.new_status}</Badge> <Ago ms={h.changed_at} />
          </li>
        ) : (
          <li key={key} data-kind={a?.kind}>
            <span class="who">{a?.actor}</span> <span class="muted">{a ? activityText(a) : ''}</span>{' '}
            <Ago ms={a?.at ?? null} />
          </li>
        ),
      )}
    </ol>
  )
}
