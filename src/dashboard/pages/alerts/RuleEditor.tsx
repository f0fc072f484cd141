/** The create / edit form of an alert rule, with the fields of the chosen rule type. */
import { useState } from 'preact/hooks'
import { Notice } from '../../components/bits'
import { useAction } from '../../lib/hooks'
import { projects } from '../../lib/session'
import type { RuleType } from '../../lib/types'
import { RULE_TYPES, type RuleForm } from './rule'

type Key = keyof RuleForm

export function RuleEditor(p: {
  initial: RuleForm
  submitLabel: string
  onSubmit: (f: RuleForm) => Promise<unknown>
  lockProject?: boolean
}) {
  const [f, setF] = useState<RuleForm>(p.initial)
  const action = useAction()
  const set = (k: Key) => (ev: Event) => {
    const t = ev.target as HTMLInputElement
    setF({ ...f, [k]: t.type === 'checkbox' ? t.checked : t.value })
  }
  const text = (
    k: Key,
    label: string,
    opts: { type?: 'text' | 'number'; help?: string; required?: boolean; step?: string } = {},
  ) => (
    <label class="field">
      <span>{label}</span>
      <input
        id={`rule-${k}`}
        name={k}
        type={(opts.type ?? 'text') as 'text'}
        step={opts.step}
        required={opts.required}
        value={f[k] as string}
        onInput={set(k)}
      />
      {opts.help && <small>{opts.help}</small>}
    </label>
  )
  const submit = (ev: Event) => {
    ev.preventDefault()
    void action.run(() => p.onSubmit(f))
  }
  const help = RULE_TYPES.find((r) => r.type === f.type)?.help

  return (
    <form class="form rule-form" onSubmit={submit}>
      <div class="field-row">
        {text('name', 'Name', { required: true })}
        <label class="field">
          <span>Project</span>
          <select id="rule-project" value={f.project} disabled={p.lockProject} onChange={set('project')}>
            {projects.value.map((pr) => (
              <option key={pr.id} value={pr.slug}>
                {pr.name}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>Fires on</span>
          <select
            id="rule-type"
            value={f.type}
            onChange={(ev) => setF({ ...f, type: (ev.target as HTMLSelectElement).value as RuleType })}
          >
            {RULE_TYPES.map((r) => (
              <option key={r.type} value={r.type}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <p class="muted">{help}</p>
      {f.type === 'threshold' && (
        <div class="field-row">
          {text('threshold', 'Events', { type: 'number', required: true })}
          {text('window_secs', 'Window (seconds)', { type: 'number', required: true, help: 'up to 86400' })}
          {text('route', 'Route', { help: 'optional' })}
          {text('fingerprint', 'Issue fingerprint', { help: 'optional' })}
        </div>
      )}
      {f.type === 'spike' && (
        <div class="field-row">
          {text('multiplier', 'Multiplier', {
            type: 'number',
            step: 'any',
            required: true,
            help: 'more than 1',
          })}
          {text('compare_window_secs', 'Recent window (s)', { type: 'number', required: true })}
          {text('baseline_window_secs', 'Baseline window (s)', { type: 'number', required: true })}
          {text('min_events', 'Minimum events', { type: 'number', required: true })}
        </div>
      )}
      <div class="field-row">
        {text('environment_filter', 'Environment', { help: 'optional: only events from this environment' })}
        {text('source_filter', 'Source filter', { help: 'optional' })}
      </div>
      {text('description', 'Description', { help: 'optional' })}
      <label class="checks">
        <span>
          <input id="rule-enabled" type="checkbox" checked={f.enabled} onChange={set('enabled')} /> Enabled
        </span>
      </label>
      <Notice kind="error">{action.error}</Notice>
      <div class="btn-row">
        <button type="submit" class="btn primary" disabled={action.busy}>
          {p.submitLabel}
        </button>
      </div>
    </form>
  )
}
