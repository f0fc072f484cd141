/**
 * An issue (`/issues/:fingerprint?project=<slug>`, the URL alert messages link to):
 * title and counts (events, users), status actions, hourly trend, per release/environment
 * breakdown, tags, users per release, samples with their breadcrumbs and stacks, the
 * status history and the raw events. It re-reads on a live tick for its project, so a
 * regression shows up as it happens. Triage (assignee, merges, tracker link) sits under
 * the title, comments beside the history; `?` lists the shortcuts.
 */
import { useEffect, useMemo, useState } from 'preact/hooks'
import { Ago, Badge, Loading, Notice } from '../../components/bits'
import { Chart } from '../../components/Chart'
import { KeyHelp } from '../../components/KeyHelp'
import { count } from '../../lib/format'
import { useAction, useKeys, useLoad } from '../../lib/hooks'
import { tick, touches } from '../../lib/live'
import { href, navigate } from '../../lib/router'
import { projectName, projectSlug } from '../../lib/session'
import type { IssueStatus } from '../../lib/types'
import type { PageProps } from '../routes'
import { ACTIONS, issue } from './api'
import { Breakdown } from './Breakdown'
import { Comments } from './Comments'
import { History } from './History'
import { Occurrences } from './Occurrences'
import { Samples } from './Samples'
import { Tags, UsersByRelease } from './Tags'
import { Triage } from './Triage'

const HOUR_MS = 3_600_000
const SHORTCUTS = [
  { keys: 'r', does: 'Resolve' },
  { keys: 'n', does: 'Resolve in the next release' },
  { keys: 'i', does: 'Ignore' },
  { keys: 'm', does: 'Mute' },
  { keys: 'u', does: 'Unresolve' },
  { keys: 'a', does: 'Assign' },
  { keys: 'c', does: 'Comment' },
  { keys: 'Esc', does: 'Back to the issues' },
]

const TREND_SPANS = [24, 72, 168, 720]
const ACTION_LABELS: Record<IssueStatus, string> = {
  resolved: 'Resolve',
  ignored: 'Ignore',
  muted: 'Mute',
  unresolved: 'Unresolve',
}

export function IssuePage({ params }: PageProps) {
  const fingerprint = params.fingerprint as string
  const project = projectSlug.value ?? undefined
  const detail = useLoad(() => issue.get(fingerprint, project), [fingerprint, project])
  const projectId = detail.data?.project_id ?? null
  const [hours, setHours] = useState(72)
  const trend = useLoad(
    async () => (projectId ? issue.trend(fingerprint, projectId, hours) : []),
    [fingerprint, projectId, hours],
  )
  const tags = useLoad(
    async () => (projectId ? issue.tags(fingerprint, projectId) : []),
    [fingerprint, projectId],
  )
  const [version, setVersion] = useState(0)
  const action = useAction()

  const t = tick.value
  useEffect(() => {
    if (t.n === 0 || !projectId || !touches(t, projectId)) return
    void detail.reload()
    void trend.reload()
    void tags.reload()
    setVersion((v) => v + 1)
  }, [t])

  const d0 = detail.data
  const key = (run: () => void) => (ev: KeyboardEvent) => {
    if (!d0) return
    ev.preventDefault()
    run()
  }
  const focus = (sel: string) => key(() => document.querySelector<HTMLElement>(sel)?.focus())
  useKeys(
    {
      Escape: () => navigate(href('/', { project: project ?? null })),
      r: key(() => void changeStatus('resolve')),
      n: key(() => void changeStatus('resolve_next')),
      i: key(() => void changeStatus('ignore')),
      m: key(() => void changeStatus('mute')),
      u: key(() => void changeStatus('unresolve')),
      a: focus('#assignee'),
      c: focus('#comment-body'),
    },
    [project, d0?.fingerprint, d0?.project_id],
  )
  const changeStatus = (a: 'resolve' | 'resolve_next' | 'ignore' | 'mute' | 'unresolve') =>
    d0 &&
    action.run(async () => {
      await issue.setStatus(d0.fingerprint, d0.project_id, a)
      await detail.reload()
    })
  const markers = useMemo(
    () => (detail.data?.regressions ?? []).map((t) => t - (t % HOUR_MS)),
    [detail.data?.regressions.join()],
  )

  const series = useMemo(
    () => [{ label: 'Events', values: trend.data?.map((p) => p.count) ?? [] }],
    [trend.data],
  )
  const xs = useMemo(() => trend.data?.map((p) => p.hour_bucket) ?? [], [trend.data])

  if (!detail.data) {
    return detail.error ? <Notice kind="error">{detail.error}</Notice> : <Loading what="the issue" />
  }
  const d = detail.data
  const setStatus = (status: IssueStatus) => changeStatus(ACTIONS[status])

  return (
    <article class="issue" data-status={d.status}>
      <p class="crumbs">
        <a href={href('/', { project: project ?? null })}>Issues</a> /{' '}
        <span>{projectName(d.project_id)}</span>
      </p>
      <div class="page-head">
        <h1>
          {d.error_type}: <span class="issue-message">{d.message}</span>
        </h1>
      </div>
      <div class="issue-summary">
        <Badge>{d.status}</Badge>
        <span>
          <strong id="issue-count">{count(d.total_count)}</strong> events
        </span>
        <span title="Distinct users, estimated (exact under 256)">
          <strong id="issue-users">{count(d.users.total)}</strong> {d.users.total === 1 ? 'user' : 'users'}
          <span class="muted">{` (${count(d.users.last_24h)} in 24 h)`}</span>
        </span>
        <span>
          first seen <Ago ms={d.first_seen} />
        </span>
        <span>
          last seen <Ago ms={d.last_seen} />
        </span>
        <span class="muted">{d.source}</span>
        {d.route_or_procedure && <span class="mono">{d.route_or_procedure}</span>}
        <span class="mono muted" title="Fingerprint">
          {d.fingerprint}
        </span>
      </div>
      <Triage d={d} onChange={() => void detail.reload()} />
      <div class="btn-row actions">
        {(Object.keys(ACTIONS) as IssueStatus[])
          .filter((s) => s !== d.status)
          .map((s) => (
            <button
              key={s}
              type="button"
              class={`btn${s === 'resolved' ? ' primary' : ''}`}
              disabled={action.busy}
              onClick={() => setStatus(s)}
            >
              {ACTION_LABELS[s]}
            </button>
          ))}
        {!d.resolved_in_release && (
          <button
            type="button"
            class="btn"
            id="resolve-next"
            disabled={action.busy}
            onClick={() => changeStatus('resolve_next')}
          >
            Resolve in next release
          </button>
        )}
        <KeyHelp shortcuts={SHORTCUTS} />
      </div>
      <Notice kind="error">{action.error}</Notice>

      <section class="card" aria-label="Trend">
        <div class="card-head">
          <h2>Events per hour</h2>
          <div class="tabs" role="tablist" aria-label="Trend span">
            {TREND_SPANS.map((h) => (
              <button
                key={h}
                type="button"
                role="tab"
                aria-selected={h === hours}
                onClick={() => setHours(h)}
              >
                {h < 168 ? `${h} h` : `${h / 24} d`}
              </button>
            ))}
          </div>
        </div>
        {trend.data && (
          <Chart
            xs={xs}
            series={series}
            height={150}
            markers={markers}
            label={`Events per hour, last ${hours} hours${markers.length > 0 ? `, ${markers.length} regressions marked` : ''}`}
          />
        )}
      </section>

      <div class="grid-2">
        <section class="card" aria-labelledby="breakdown-title">
          <h2 id="breakdown-title">Releases and environments</h2>
          <Breakdown rows={d.aggregates} />
        </section>
        <section class="card" aria-labelledby="history-title">
          <h2 id="history-title">History</h2>
          <History rows={d.history} activity={d.activity} />
        </section>
      </div>

      <div class="grid-2">
        <section class="card" aria-labelledby="tags-title">
          <h2 id="tags-title">Tags</h2>
          {tags.data && <Tags facets={tags.data} project={project ?? null} />}
          <Notice kind="error">{tags.error}</Notice>
        </section>
        <section class="card" aria-labelledby="users-title">
          <h2 id="users-title">Users by release</h2>
          <UsersByRelease users={d.users} />
        </section>
      </div>

      <section class="card" aria-labelledby="comments-title">
        <h2 id="comments-title">Comments</h2>
        <Comments
          fingerprint={d.fingerprint}
          projectId={d.project_id}
          comments={d.comments}
          onChange={() => void detail.reload()}
        />
      </section>

      <section class="card" aria-labelledby="samples-title">
        <h2 id="samples-title">Samples</h2>
        <Samples samples={d.samples} />
      </section>

      <section class="card" aria-labelledby="events-title">
        <h2 id="events-title">Events</h2>
        <Occurrences fingerprint={d.fingerprint} projectId={d.project_id} version={version} />
      </section>
    </article>
  )
}
