/** Sessions (`/llm/sessions`): traces grouped by `session_id`, latest activity first. */
import { Ago, Loading, Notice } from '../../components/bits'
import { useLoad } from '../../lib/hooks'
import { href } from '../../lib/router'
import { projectSlug, projectSlugOf } from '../../lib/session'
import { llm } from './api'
import { money, tokens } from './format'
import { LlmNav, windowHours } from './Nav'

export function LlmSessionsPage() {
  const project = projectSlug.value ?? undefined
  const hours = windowHours()
  const list = useLoad(() => llm.sessions({ project_id: project, hours, limit: 100 }), [project, hours])
  const rows = list.data?.sessions ?? []
  return (
    <>
      <LlmNav title="Sessions" />
      <Notice kind="error">{list.error}</Notice>
      {!list.data ? (
        list.error ? null : (
          <Loading what="sessions" />
        )
      ) : rows.length === 0 ? (
        <p class="card empty">No sessions in this window: traces sent with a session_id are grouped here.</p>
      ) : (
        <div class="card table-wrap">
          <table id="llm-sessions">
            <thead>
              <tr>
                <th>Session</th>
                <th>User</th>
                <th class="num">Traces</th>
                <th class="num">Errors</th>
                <th class="num">Tokens</th>
                <th class="num">Cost</th>
                <th>Last trace</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((s) => (
                <tr key={`${s.project_id}/${s.session_id}`} class="session-row" data-id={s.session_id}>
                  <td>
                    <a
                      href={href(`/llm/sessions/${encodeURIComponent(s.session_id)}`, {
                        project: projectSlugOf(s.project_id),
                      })}
                    >
                      {s.session_id}
                    </a>
                  </td>
                  <td>{s.user_id ?? '—'}</td>
                  <td class="num">{s.trace_count}</td>
                  <td class="num">{s.error_trace_count}</td>
                  <td class="num">{tokens(s.total_tokens)}</td>
                  <td class="num">{money(s.total_cost_micros)}</td>
                  <td>
                    <Ago ms={s.last_trace_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  )
}
