/**
 * The bulk-action bar of the issues list, shown while issues are selected: resolve (now or
 * in the next release), ignore, mute, unresolve, assign and merge, for the selected rows
 * or, once asked, for every issue matching the list's filters (docs/decisions.md, "Triage").
 */
import { ConfirmButton } from '../../components/Confirm'
import { count } from '../../lib/format'
import type { Action } from '../../lib/hooks'
import type { Assignee, BulkAction, BulkResult, Issue } from '../../lib/types'
import { issues, type Selection } from './api'

/** At most this many issues in one explicit list (the server's cap, errors/triage.model.ts). */
export const MAX_SELECTED = 500

const STATUS_ACTIONS: { action: BulkAction; label: string; key?: string }[] = [
  { action: 'resolve', label: 'Resolve', key: 'r' },
  { action: 'resolve_next', label: 'Resolve in next release' },
  { action: 'ignore', label: 'Ignore', key: 'i' },
  { action: 'mute', label: 'Mute', key: 'm' },
  { action: 'unresolve', label: 'Unresolve', key: 'u' },
]

export interface BulkProps {
  selected: Issue[]
  /** Every issue matching the filters, not only the selected rows. */
  allMatching: boolean
  total: number
  pageFull: boolean
  matching: string
  users: Assignee[]
  action: Action
  onSelectAll: () => void
  onClear: () => void
  onDone: (r: BulkResult) => void
}

export function selectionOf(p: Pick<BulkProps, 'selected' | 'allMatching' | 'matching'>): Selection {
  return p.allMatching ? { matching: p.matching } : { fingerprints: p.selected.map((i) => i.fingerprint) }
}

export async function runBulk(p: BulkProps, action: BulkAction, extra: { assignee?: string | null } = {}) {
  const r = await p.action.run(() => issues.bulk(action, selectionOf(p), extra))
  if (r) p.onDone(r)
}

export function BulkBar(p: BulkProps) {
  const n = p.allMatching ? p.total : p.selected.length
  const target = p.selected[0]
  const oneProject = new Set(p.selected.map((i) => i.project_id)).size === 1
  return (
    <section class="bulk-bar card" aria-label="Bulk actions">
      <p class="bulk-count" aria-live="polite">
        <strong id="bulk-count">{count(n)}</strong> {n === 1 ? 'issue' : 'issues'} selected
        {p.allMatching ? ' (every issue matching the filters)' : ''}
        {!p.allMatching && p.pageFull && p.total > p.selected.length && (
          <button type="button" class="link" id="select-matching" onClick={p.onSelectAll}>
            {`Select all ${count(p.total)} matching`}
          </button>
        )}
        <button type="button" class="link" onClick={p.onClear}>
          Clear
        </button>
      </p>
      <div class="btn-row">
        {STATUS_ACTIONS.map((a) => (
          <button
            key={a.action}
            type="button"
            class={`btn small${a.action === 'resolve' ? ' primary' : ''}`}
            data-action={a.action}
            disabled={p.action.busy}
            title={a.key ? `${a.label} (${a.key})` : a.label}
            onClick={() => runBulk(p, a.action)}
          >
            {a.label}
          </button>
        ))}
        <label class="field inline">
          <span class="sr-only">Assign to</span>
          <select
            id="bulk-assign"
            disabled={p.action.busy}
            value=""
            onChange={(ev) => {
              const v = (ev.target as HTMLSelectElement).value
              if (v) void runBulk(p, 'assign', { assignee: v === '-' ? null : v })
            }}
          >
            <option value="">Assign…</option>
            <option value="-">Nobody</option>
            {p.users.map((u) => (
              <option key={u.id} value={u.id}>
                {u.username}
              </option>
            ))}
          </select>
        </label>
        {!p.allMatching && target && p.selected.length > 1 && oneProject && (
          <ConfirmButton
            small
            label="Merge"
            title="Merge issues"
            confirmLabel={`Merge ${p.selected.length} issues`}
            message={
              <p>
                {`The other ${p.selected.length - 1} selected issues are merged into `}
                <strong>{`${target.error_type}: ${target.message}`}</strong>
                {'. Their events, counts and history show there from now on; unmerge restores them.'}
              </p>
            }
            onConfirm={async () => {
              const r = await issues.bulk('merge', selectionOf(p), { target: target.fingerprint })
              p.onDone(r)
            }}
          />
        )}
      </div>
    </section>
  )
}

/** Focuses the bar's assignee picker (the `a` shortcut). */
export function focusAssign() {
  document.querySelector<HTMLSelectElement>('#bulk-assign')?.focus()
}
