/**
 * One session (`/llm/sessions/:id`): its traces oldest first, as the turns of the
 * conversation, each linked to its waterfall; the first 200 turns (the API's page).
 */
import { Ago, Badge, Loading, Notice } from '../../components/bits'
import { useLoad } from '../../lib/hooks'
import { href } from '../../lib/router'
import { projectSlug } from '../../lib/session'
import type { PageProps } from '../routes'
import { llm } from './api'
import { money, ms, tokens } from './format'
import { traceHref } from './links'

export function LlmSessionPage({ params }: PageProps) {
  const id = params.id ?? ''
  const project = projectSlug.value ?? undefined
  const s = useLoad(() => llm.session(id, project), [id, project])
  const d = s.data
  return (
    <>
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href={href('/llm/sessions', { project })}>Sessions</a> / <span>{id}</span>
      </nav>
      <Notice kind="error">{s.error}</Notice>
      {!d ? (
        s.error ? null : (
          <Loading what="session" />
        )
      ) : (
        <>
          <div class="page-head">
            <h1>Session {d.session_id}</h1>
          </div>
          <p class="muted" id="llm-session-sums">
            {d.trace_count} turns{d.user_id ? ` with ${d.user_id}` : ''}, {tokens(d.total_tokens)} tokens,{' '}
            {money(d.total_cost_micros)}
          </p>
          <ol class="card plain-list" id="llm-session-turns">
            {d.traces.map((t, i) => (
              <li key={t.id} class="session-turn" data-id={t.id}>
                <strong>{i + 1}.</strong> <a href={traceHref(t)}>{t.name ?? t.id}</a>{' '}
                <Badge kind={t.status === 'error' ? 'bad' : t.status === 'completed' ? 'ok' : 'muted'}>
                  {t.status}
                </Badge>{' '}
                <span class="muted">
                  <Ago ms={t.started_at} />, {ms(t.duration_ms)}, {money(t.cost_micros)}
                </span>
              </li>
            ))}
          </ol>
        </>
      )}
    </>
  )
}
