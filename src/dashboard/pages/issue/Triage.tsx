/**
 * The triage part of the issue header: assignee, first and last release, the external
 * tracker link, "resolved in the next release", and the merge links (the issue this one is
 * merged into, or the issues merged into it, each with Unmerge).
 */
import { useEffect } from 'preact/hooks'
import { Notice } from '../../components/bits'
import { useAction, useLoad } from '../../lib/hooks'
import { href } from '../../lib/router'
import { projectSlugOf } from '../../lib/session'
import type { IssueDetail } from '../../lib/types'
import { issue } from './api'

export function Triage({ d, onChange }: { d: IssueDetail; onChange: () => void }) {
  const users = useLoad(() => issue.assignees(d.project_id), [d.project_id])
  const action = useAction()
  const link = (fp: string) =>
    href(`/issues/${encodeURIComponent(fp)}`, { project: projectSlugOf(d.project_id) })
  useEffect(() => action.clear(), [d.fingerprint])
  return (
    <div class="triage">
      <label class="field inline">
        <span>Assignee</span>
        <select
          id="assignee"
          value={d.assignee?.id ?? ''}
          disabled={action.busy}
          onChange={(ev) => {
            const v = (ev.target as HTMLSelectElement).value
            void action.run(async () => {
              await issue.assign(d.fingerprint, d.project_id, v || null)
              onChange()
            })
          }}
        >
          <option value="">Nobody</option>
          {(users.data ?? []).map((u) => (
            <option key={u.id} value={u.id}>
              {u.username}
            </option>
          ))}
          {d.assignee && !(users.data ?? []).some((u) => u.id === d.assignee?.id) && (
            <option value={d.assignee.id}>{d.assignee.username}</option>
          )}
        </select>
      </label>
      {d.first_release && (
        <span id="releases">
          <span class="muted">releases</span> <span class="mono">{d.first_release}</span>
          {d.last_release && d.last_release !== d.first_release && (
            <>
              {' '}
              <span aria-hidden="true">→</span>
              <span class="sr-only">to</span> <span class="mono">{d.last_release}</span>
            </>
          )}
        </span>
      )}
      {d.regressions.length > 0 && (
        <span class="regressions">{`${d.regressions.length} regression${d.regressions.length === 1 ? '' : 's'}`}</span>
      )}
      {d.resolved_in_release && (
        <span id="resolved-next">{`resolved until a release newer than ${d.resolved_in_release}`}</span>
      )}
      {d.tracker_url && (
        <a class="btn small" id="tracker-link" href={d.tracker_url} target="_blank" rel="noopener noreferrer">
          Open in tracker
        </a>
      )}
      {d.merged_into && (
        <p class="notice" id="merged-into">
          {'Merged into '}
          <a href={link(d.merged_into)}>{d.merged_into}</a>
          {'. Its new events count there. '}
          <button
            type="button"
            class="link"
            disabled={action.busy}
            onClick={() =>
              action.run(async () => {
                await issue.unmerge(d.project_id, [d.fingerprint])
                onChange()
              })
            }
          >
            Unmerge
          </button>
        </p>
      )}
      {d.merged.length > 0 && (
        <div class="merged" id="merged">
          <span class="muted">Merged here:</span>
          {d.merged.map((fp) => (
            <span key={fp} class="merged-item">
              <a class="mono" href={link(fp)}>
                {fp}
              </a>{' '}
              <button
                type="button"
                class="link"
                disabled={action.busy}
                data-unmerge={fp}
                onClick={() =>
                  action.run(async () => {
                    await issue.unmerge(d.project_id, [fp])
                    onChange()
                  })
                }
              >
                Unmerge
              </button>
            </span>
          ))}
        </div>
      )}
      <Notice kind="error">{action.error}</Notice>
    </div>
  )
}
