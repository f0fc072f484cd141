/** Sending a test to every channel of a rule, and the rule's delivery log (with the issue each alert named). */
import { useState } from 'preact/hooks'
import { Ago, Badge, Loading, Notice } from '../../components/bits'
import { useAction, useLoad } from '../../lib/hooks'
import { href } from '../../lib/router'
import type { DeliveryView, TestResult } from '../../lib/types'
import { alerts } from './api'

/** Status and error; `response` is only ever an SMTP reply line (HTTP answers are not kept). */
const detail = (r: {
  channel_type: string
  status_code: number | null
  error: string | null
  response?: string | null
}) =>
  [
    r.status_code !== null ? `${r.channel_type === 'email' ? 'SMTP' : 'HTTP'} ${r.status_code}` : '',
    r.error ?? '',
    r.response ?? '',
  ]
    .filter(Boolean)
    .join(' · ')

export function TestButton({ ruleId, onDone }: { ruleId: number; onDone: () => void }) {
  const [results, setResults] = useState<TestResult[] | null>(null)
  const action = useAction()
  const send = () =>
    action.run(async () => {
      setResults((await alerts.test(ruleId)).results)
      onDone()
    })
  return (
    <div class="test-send">
      <button type="button" class="btn" id="send-test" disabled={action.busy} onClick={send}>
        {action.busy ? 'Sending…' : 'Send a test'}
      </button>
      <Notice kind="error">{action.error}</Notice>
      {results && (
        <ul class="test-results" aria-label="Test results">
          {results.length === 0 && <li class="muted">No channels and no fallback URL: nothing was sent.</li>}
          {results.map((r, i) => (
            <li key={i} data-outcome={r.outcome}>
              <Badge>{r.outcome}</Badge> <span class="badge">{r.channel_type}</span>{' '}
              <span class="mono">{r.target}</span>{' '}
              <span class="muted">{`${detail(r)} · ${r.attempts} attempt${r.attempts === 1 ? '' : 's'} · ${r.duration_ms} ms`}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}

/** The issue an alert was about, linked to its page; a test names none. */
function IssueCell({ d, project }: { d: DeliveryView; project: string }) {
  if (d.fingerprint === null) return <span class="muted">none</span>
  return (
    <a class="delivery-issue" href={href(`/issues/${encodeURIComponent(d.fingerprint)}`, { project })}>
      {d.issue_title ?? d.fingerprint}
      <span class="mono muted hide-narrow"> {d.fingerprint}</span>
    </a>
  )
}

export function Deliveries({
  ruleId,
  project,
  version,
}: {
  ruleId: number
  project: string
  version: number
}) {
  const log = useLoad(() => alerts.deliveries(ruleId), [ruleId, version])
  if (!log.data) return log.error ? <Notice kind="error">{log.error}</Notice> : <Loading what="deliveries" />
  if (log.data.items.length === 0) return <p class="muted">Nothing delivered yet.</p>
  return (
    <div class="table-wrap">
      <table class="deliveries">
        <thead>
          <tr>
            <th>When</th>
            <th>Why</th>
            <th>Issue</th>
            <th>Channel</th>
            <th>Outcome</th>
            <th class="hide-narrow">Detail</th>
          </tr>
        </thead>
        <tbody>
          {log.data.items.map((d) => (
            <tr key={d.id}>
              <td>
                <Ago ms={d.fired_at} />
              </td>
              <td>{d.kind === 'test' ? 'test' : d.reason}</td>
              <td>
                <IssueCell d={d} project={project} />
              </td>
              <td>
                <span class="badge">{d.channel_type}</span> <span class="mono target">{d.target}</span>
              </td>
              <td>
                <Badge>{d.outcome}</Badge>
              </td>
              <td class="hide-narrow muted">{detail(d)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
