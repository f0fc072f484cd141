/**
 * Alert rules: `/alerts` lists them (for the selected project, or all), `/alerts/new`
 * creates one, `/alerts/:id` edits it with its channels, a test send and the delivery log.
 */
import { useState } from 'preact/hooks'
import { Ago, Badge, Loading, Notice } from '../../components/bits'
import { ConfirmButton } from '../../components/Confirm'
import { useLoad } from '../../lib/hooks'
import { match } from '../../lib/paths'
import { href, navigate, route } from '../../lib/router'
import { projectName, projectSlug, projectSlugOf, projects } from '../../lib/session'
import { alerts } from './api'
import { Channels } from './Channels'
import { Deliveries, TestButton } from './Deliveries'
import { RuleEditor } from './RuleEditor'
import { describe, emptyForm, fromRule, toBody } from './rule'

function RuleList() {
  const project = projectSlug.value
  const list = useLoad(() => alerts.list(project ?? undefined), [project])
  return (
    <>
      <div class="page-head">
        <h1>Alerts</h1>
        <a class="btn primary" href={href('/alerts/new', { project })}>
          New rule
        </a>
      </div>
      <Notice kind="error">{list.error}</Notice>
      {!list.data ? (
        <Loading what="rules" />
      ) : list.data.items.length === 0 ? (
        <div class="card empty">
          <p>No alert rules yet. A rule watches a project and notifies Slack, a webhook or email.</p>
        </div>
      ) : (
        <ul class="rules">
          {list.data.items.map((r) => (
            <li key={r.id} class="card rule">
              <div class="card-head">
                <h2>
                  <a href={href(`/alerts/${r.id}`, { project })}>{r.name}</a>
                </h2>
                <div class="btn-row">
                  <Badge kind={r.enabled ? 'active' : 'muted'}>{r.enabled ? 'enabled' : 'disabled'}</Badge>
                  <span class="badge">{r.rule_type}</span>
                </div>
              </div>
              <p>{describe(r.config)}</p>
              <p class="muted">
                {projectName(r.project_id)}
                {r.environment_filter && ` · env ${r.environment_filter}`}
                {r.source_filter && ` · source ${r.source_filter}`}
                {` · ${r.channels.length} channel${r.channels.length === 1 ? '' : 's'} · last fired `}
                <Ago ms={r.last_fired_at} />
              </p>
            </li>
          ))}
        </ul>
      )}
    </>
  )
}

function NewRule() {
  const project = projectSlug.value ?? projects.value[0]?.slug ?? 'default'
  return (
    <>
      <div class="page-head">
        <h1>New alert rule</h1>
      </div>
      <section class="card">
        <RuleEditor
          initial={emptyForm(project)}
          submitLabel="Create rule"
          onSubmit={async (f) => {
            const created = await alerts.create(toBody(f))
            navigate(href(`/alerts/${created.id}`, { project: projectSlug.value }), { replace: true })
          }}
        />
      </section>
    </>
  )
}

function EditRule({ id }: { id: number }) {
  const rule = useLoad(() => alerts.get(id), [id])
  const [version, setVersion] = useState(0)
  const [saved, setSaved] = useState(false)
  if (!rule.data) return rule.error ? <Notice kind="error">{rule.error}</Notice> : <Loading what="the rule" />
  const r = rule.data
  const slug = projectSlugOf(r.project_id)
  return (
    <>
      <p class="crumbs">
        <a href={href('/alerts', { project: projectSlug.value })}>Alerts</a> / {projectName(r.project_id)}
      </p>
      <div class="page-head">
        <h1>{r.name}</h1>
        <ConfirmButton
          danger
          label="Delete rule"
          title={`Delete "${r.name}"?`}
          message={<p>The rule, its channels and its delivery log are removed.</p>}
          onConfirm={async () => {
            await alerts.remove(r.id)
            navigate(href('/alerts', { project: projectSlug.value }))
          }}
        />
      </div>
      <section class="card" aria-labelledby="rule-title">
        <h2 id="rule-title">Rule</h2>
        <RuleEditor
          key={r.updated_at}
          initial={fromRule(r, slug)}
          submitLabel="Save rule"
          lockProject
          onSubmit={async (f) => {
            setSaved(false)
            rule.set(await alerts.update(r.id, toBody(f, true)))
            setSaved(true)
          }}
        />
        {saved && <Notice kind="ok">Saved.</Notice>}
      </section>
      <section class="card" aria-labelledby="channels-title">
        <h2 id="channels-title">Channels</h2>
        <Channels ruleId={r.id} channels={r.channels} onChange={rule.reload} />
        <h3>Test</h3>
        <TestButton ruleId={r.id} onDone={() => setVersion((v) => v + 1)} />
      </section>
      <section class="card" aria-labelledby="log-title">
        <h2 id="log-title">Delivery log</h2>
        <Deliveries ruleId={r.id} project={slug} version={version} />
      </section>
    </>
  )
}

export function AlertsPage() {
  const path = route.value.path
  if (path === '/alerts/new') return <NewRule />
  const m = match('/alerts/:id', path)
  if (m) {
    const id = Number(m.id)
    return Number.isInteger(id) && id > 0 ? <EditRule id={id} /> : <Notice kind="error">No such rule.</Notice>
  }
  return <RuleList />
}
