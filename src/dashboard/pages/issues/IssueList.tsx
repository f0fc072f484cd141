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

export function IssueList({ items }: { items: Issue[] }) {
  const allProjects = projectSlug.value === null

  return (
    <ul class="issues" aria-label="Issues">
      {items.map((i) => (
        <li key={`${i.project_id}/${i.fingerprint}`}>
          <a class="issue-row" href={issueHref(i)} data-fingerprint={i.fingerprint}>
            <div class="issue-main">
              <div class="issue-title">
                <strong>{i.error_type}</strong>
                <Badge>{i.status}</Badge>
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
