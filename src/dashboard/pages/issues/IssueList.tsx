/**
 * The issue rows. Each row is a link to the issue (so it opens in a new tab, can be
 * copied, and Enter opens it). The issues page binds j / k and the arrow keys to
 * `moveFocus`; the focused row is clearly outlined.
 */
import { Ago, Badge } from '../../components/bits'
import { Sparkline } from '../../components/Sparkline'
import { count } from '../../lib/format'
import { href } from '../../lib/router'
import { projectName, projectSlug, projectSlugOf } from '../../lib/session'
import type { Issue } from '../../lib/types'

export function issueHref(i: { fingerprint: string; project_id: string }): string {
  return href(`/issues/${encodeURIComponent(i.fingerprint)}`, { project: projectSlugOf(i.project_id) })
}

/** Moves the focus `delta` rows down (up when negative); the first key press focuses the first row. */
export function moveFocus(delta: number) {
  const rows = [...document.querySelectorAll<HTMLAnchorElement>('.issue-row')]
  if (rows.length === 0) return
  const at = rows.indexOf(document.activeElement as HTMLAnchorElement)
  const next = at < 0 ? (delta > 0 ? 0 : rows.length - 1) : Math.min(rows.length - 1, Math.max(0, at + delta))
  rows[next]?.focus()
  rows[next]?.scrollIntoView({ block: 'nearest' })
}

/** The key of an issue in a selection. */
export const keyOf = (i: { project_id: string; fingerprint: string }) => `${i.project_id}/${i.fingerprint}`

/** The issue of the focused row, if a row has the focus. */
export function focusedIssue(items: Issue[]): Issue | undefined {
  const el = document.activeElement as HTMLElement | null
  const fp = el?.closest<HTMLElement>('.issue-row')?.dataset.fingerprint
  const project = el?.closest<HTMLElement>('.issue-row')?.dataset.project
  return items.find((i) => i.fingerprint === fp && i.project_id === project)
}

export interface IssueListProps {
  items: Issue[]
  selected: Set<string>
  onToggle: (i: Issue) => void
}

export function IssueList({ items, selected, onToggle }: IssueListProps) {
  const allProjects = projectSlug.value === null

  return (
    <ul class="issues" aria-label="Issues">
      {items.map((i) => (
        <li key={keyOf(i)} class={selected.has(keyOf(i)) ? 'selected' : undefined}>
          <label class="issue-select">
            <input
              type="checkbox"
              checked={selected.has(keyOf(i))}
              onChange={() => onToggle(i)}
              aria-label={`Select ${i.error_type}: ${i.message}`.slice(0, 120)}
            />
          </label>
          <a
            class="issue-row"
            href={issueHref(i)}
            data-fingerprint={i.fingerprint}
            data-project={i.project_id}
          >
            <div class="issue-main">
              <div class="issue-title">
                <strong>{i.error_type}</strong>
                <Badge>{i.status}</Badge>
                {i.assignee_name && (
                  <span class="assignee" title="Assigned to">
                    {`@${i.assignee_name}`}
                  </span>
                )}
              </div>
              <div class="issue-msg">{i.message}</div>
              <div class="issue-meta">
                {allProjects && <span>{projectName(i.project_id)}</span>}
                <span>{i.source}</span>
                {i.route_or_procedure && <span>{i.route_or_procedure}</span>}
                <span>{i.releases.slice(0, 3).join(', ') + (i.releases.length > 3 ? ', …' : '')}</span>
                <span>{i.environments.join(', ')}</span>
              </div>
            </div>
            <div class="issue-spark" aria-hidden={i.trend ? undefined : 'true'}>
              {i.trend && <Sparkline values={i.trend} />}
            </div>
            <div class="issue-count">
              <strong class="events" data-count={i.total_count}>
                {count(i.total_count)}
              </strong>
              <span>events</span>
              <span class="users" data-users={i.users_count} title="Distinct users (estimated)">
                {`${count(i.users_count)} ${i.users_count === 1 ? 'user' : 'users'}`}
              </span>
            </div>
            <div class="issue-seen">
              <Ago ms={i.last_seen} />
              <span class="muted">
                first <Ago ms={i.first_seen} />
              </span>
            </div>
          </a>
        </li>
      ))}
    </ul>
  )
}
