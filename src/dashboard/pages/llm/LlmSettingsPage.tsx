/**
 * LLM settings of one project (`/llm/settings`): the content policy (what of prompts and
 * completions is stored; the server's default until the project sets its own) and the
 * monthly budget with its alert threshold, the prices of models no price matched, and the
 * setup guide (proxy and OpenTelemetry snippets with the project's key). All are per
 * project, so a project must be chosen when the caller sees several.
 */
import { useEffect, useState } from 'preact/hooks'
import { Loading, Notice } from '../../components/bits'
import { useAction, useLoad } from '../../lib/hooks'
import { type LlmSettings, llm } from './api'
import { pct } from './format'
import { LlmNav, oneProject } from './Nav'
import { Pricing } from './Pricing'
import { LlmSetupGuide } from './SetupGuide'

const POLICIES: [string, string][] = [
  ['none', 'Nothing: no prompts or completions are stored'],
  ['metadata_only', 'Metadata only: no prompts or completions'],
  ['full', 'Everything: prompts and completions are stored'],
]

function Policy({
  project,
  s,
  onSaved,
}: {
  project: string
  s: LlmSettings
  onSaved: (s: LlmSettings) => void
}) {
  const [value, setValue] = useState(s.content_policy_source === 'config' ? '' : s.content_policy)
  const [saved, setSaved] = useState(false)
  const action = useAction()
  const save = async (ev: Event) => {
    ev.preventDefault()
    setSaved(false)
    const next = await action.run(() =>
      llm.saveSettings(project, { content_policy: value === '' ? null : value }),
    )
    if (next) {
      onSaved(next)
      setSaved(true)
    }
  }
  return (
    <form class="card form" id="llm-policy" onSubmit={save}>
      <h2>Content policy</h2>
      <p class="muted">
        In force: <strong id="llm-policy-current">{s.content_policy}</strong>
        {s.content_policy_source === 'config' ? " (the server's default)" : ' (set for this project)'}. It
        applies to traces received from now on.
      </p>
      <label class="field">
        <span>Store</span>
        <select
          id="llm-policy-select"
          value={value}
          onChange={(ev) => setValue((ev.target as HTMLSelectElement).value)}
        >
          <option value="">The server's default</option>
          {POLICIES.map(([v, label]) => (
            <option key={v} value={v}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <Notice kind="error">{action.error}</Notice>
      {saved && <Notice kind="ok">Saved.</Notice>}
      <div class="btn-row">
        <button type="submit" class="btn primary" disabled={action.busy}>
          Save policy
        </button>
      </div>
    </form>
  )
}

function BudgetForm({
  project,
  s,
  onSaved,
}: {
  project: string
  s: LlmSettings
  onSaved: (s: LlmSettings) => void
}) {
  const [dollars, setDollars] = useState(s.monthly_budget_micros ? String(s.monthly_budget_micros / 1e6) : '')
  const [rate, setRate] = useState(String(Math.round(s.budget_alert_rate * 100)))
  const [saved, setSaved] = useState(false)
  const action = useAction()
  const save = async (ev: Event) => {
    ev.preventDefault()
    setSaved(false)
    const body = {
      monthly_budget_micros: Math.round(Number(dollars || 0) * 1e6),
      budget_alert_rate: Number(rate) / 100,
    }
    const next = await action.run(() => llm.saveBudget(project, body))
    if (next) {
      onSaved({ ...s, ...next })
      setSaved(true)
    }
  }
  return (
    <form class="card form" id="llm-budget-form" onSubmit={save}>
      <h2>Monthly budget</h2>
      <p class="muted">
        {s.monthly_budget_micros
          ? `Alert at ${pct(s.budget_alert_rate)} of the budget.`
          : 'No budget: leave it empty or 0 for none.'}
      </p>
      <div class="field-row">
        <label class="field">
          <span>Budget ($ per month)</span>
          <input
            id="llm-budget-dollars"
            type="number"
            min="0"
            step="0.01"
            value={dollars}
            onInput={(ev) => setDollars((ev.target as HTMLInputElement).value)}
          />
        </label>
        <label class="field">
          <span>Alert at (% of budget)</span>
          <input
            id="llm-budget-rate"
            type="number"
            min="1"
            max="100"
            step="1"
            value={rate}
            onInput={(ev) => setRate((ev.target as HTMLInputElement).value)}
          />
        </label>
      </div>
      <Notice kind="error">{action.error}</Notice>
      {saved && <Notice kind="ok">Saved.</Notice>}
      <div class="btn-row">
        <button type="submit" class="btn primary" disabled={action.busy}>
          Save budget
        </button>
      </div>
    </form>
  )
}

function Of({ project }: { project: string }) {
  const settings = useLoad(() => llm.settings(project), [project])
  const [s, setS] = useState<LlmSettings | null>(null)
  useEffect(() => setS(settings.data), [settings.data])
  if (settings.error) return <Notice kind="error">{settings.error}</Notice>
  if (!s) return <Loading what="settings" />
  return (
    <div class="grid-2 llm-settings">
      <Policy project={project} s={s} onSaved={setS} />
      <BudgetForm project={project} s={s} onSaved={setS} />
      <Pricing project={project} />
      <LlmSetupGuide project={project} />
    </div>
  )
}

export function LlmSettingsPage() {
  const project = oneProject()
  return (
    <>
      <LlmNav title="LLM settings" window={false} />
      {project ? (
        <Of key={project} project={project} />
      ) : (
        <p class="card empty">Choose a project in the top bar: these settings are per project.</p>
      )}
    </>
  )
}
