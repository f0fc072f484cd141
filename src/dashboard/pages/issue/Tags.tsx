/**
 * The issue's tags (docs/decisions.md, "Tags"): per tag its top values with counts and
 * shares, each value a link to the issue list searching for it (`key:value`), and the
 * distinct users per release.
 */
import { count } from '../../lib/format'
import { href } from '../../lib/router'
import type { IssueDetail, TagFacet } from '../../lib/types'

const quoted = (v: string) => (/[\s"]/.test(v) ? `"${v.replaceAll('"', '')}"` : v)

export function Tags({ facets, project }: { facets: TagFacet[]; project: string | null }) {
  if (facets.length === 0) return <p class="muted">No tags recorded.</p>
  return (
    <div class="facets">
      {facets.map((f) => (
        <section class="facet" key={f.key} data-tag={f.key} aria-label={`Tag ${f.key}`}>
          <h3>
            {f.key} <span class="muted">{`${count(f.distinct)} value${f.distinct === 1 ? '' : 's'}`}</span>
          </h3>
          <ul>
            {f.values.map((v) => (
              <li key={v.value}>
                <a
                  class="facet-value"
                  href={href('/', { project, q: `${f.key}:${quoted(v.value)}`, status: 'all' })}
                  title={`Issues with ${f.key} ${v.value}`}
                >
                  <span class="facet-bar" style={{ width: `${Math.max(2, Math.round(v.share * 100))}%` }} />
                  <span class="facet-label">{v.value}</span>
                  <span class="facet-share">{`${Math.round(v.share * 100)}%`}</span>
                  <span class="facet-count muted">{count(v.count)}</span>
                </a>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </div>
  )
}

export function UsersByRelease({ users }: { users: IssueDetail['users'] }) {
  if (users.by_release.length === 0) return <p class="muted">No user ids were sent with these events.</p>
  return (
    <table class="table compact">
      <thead>
        <tr>
          <th>Release</th>
          <th class="num">Users</th>
        </tr>
      </thead>
      <tbody>
        {users.by_release.map((r) => (
          <tr key={r.release}>
            <td class="mono">{r.release}</td>
            <td class="num">{count(r.users)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
