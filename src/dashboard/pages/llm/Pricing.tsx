/**
 * Price overrides of one project: the models no price matched (their spans' cost is
 * unknown), each with a button that fills the form, the project's overrides, and a form
 * for an exact model's price in dollars per million tokens. A saved price applies to
 * spans received from then on; the cost of spans already stored is not rewritten.
 */
import { useState } from 'preact/hooks'
import { Loading, Notice } from '../../components/bits'
import { useAction, useLoad } from '../../lib/hooks'
import { route } from '../../lib/router'
import { llm } from './api'

export function Pricing({ project }: { project: string }) {
  const overrides = useLoad(() => llm.overrides(project), [project])
  const unknown = useLoad(() => llm.unknownModels(project), [project])
  const [model, setModel] = useState(route.value.query.get('price') ?? '')
  const [provider, setProvider] = useState('')
  const [input, setInput] = useState('')
  const [output, setOutput] = useState('')
  const [saved, setSaved] = useState('')
  const action = useAction()
  const save = async (ev: Event) => {
    ev.preventDefault()
    setSaved('')
    const body = {
      model_pattern: model,
      match: 'exact' as const,
      provider: provider || null,
      input_per_mtok: Number(input),
      output_per_mtok: Number(output),
    }
    if (await action.run(() => llm.putOverride(project, body))) {
      setSaved(model)
      await Promise.all([overrides.reload(), unknown.reload()])
    }
  }
  const field = (set: (v: string) => void) => (ev: Event) => set((ev.target as HTMLInputElement).value)
  return (
    <section class="card" id="llm-pricing" aria-labelledby="llm-pricing-title">
      <h2 id="llm-pricing-title">Prices</h2>
      <Notice kind="error">{overrides.error ?? unknown.error}</Notice>
      {!unknown.data ? (
        <Loading what="unpriced models" />
      ) : unknown.data.models.length === 0 ? (
        <p class="muted">Every model seen has a price.</p>
      ) : (
        <ul class="plain-list" id="llm-unpriced">
          {unknown.data.models.map((m) => (
            <li key={`${m.model}/${m.provider}`} data-model={m.model}>
              <strong>{m.model}</strong> {m.provider && <span class="muted">({m.provider})</span>} has no
              price ({m.span_count} spans, cost unknown){' '}
              <button
                type="button"
                class="btn small"
                onClick={() => {
                  setModel(m.model)
                  setProvider(m.provider ?? '')
                }}
              >
                Price it
              </button>
            </li>
          ))}
        </ul>
      )}
      {overrides.data && overrides.data.overrides.length > 0 && (
        <div class="table-wrap">
          <table id="llm-overrides">
            <thead>
              <tr>
                <th>Model</th>
                <th>Provider</th>
                <th class="num">Input $/M</th>
                <th class="num">Output $/M</th>
              </tr>
            </thead>
            <tbody>
              {overrides.data.overrides.map((o) => (
                <tr key={o.id} data-model={o.model_pattern}>
                  <td>{o.model_pattern}</td>
                  <td>{o.provider ?? 'any'}</td>
                  <td class="num">{o.input_per_mtok}</td>
                  <td class="num">{o.output_per_mtok}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form class="form" id="llm-price-form" onSubmit={save}>
        <div class="field-row">
          <label class="field">
            <span>Model</span>
            <input id="llm-price-model" required maxLength={512} value={model} onInput={field(setModel)} />
          </label>
          <label class="field">
            <span>Provider (empty: any)</span>
            <input id="llm-price-provider" value={provider} onInput={field(setProvider)} />
          </label>
          <label class="field">
            <span>Input $ per million tokens</span>
            <input
              id="llm-price-input"
              type="number"
              required
              min="0"
              step="any"
              value={input}
              onInput={field(setInput)}
            />
          </label>
          <label class="field">
            <span>Output $ per million tokens</span>
            <input
              id="llm-price-output"
              type="number"
              required
              min="0"
              step="any"
              value={output}
              onInput={field(setOutput)}
            />
          </label>
        </div>
        <Notice kind="error">{action.error}</Notice>
        {saved && <Notice kind="ok">{`Saved: new spans of ${saved} are priced with it.`}</Notice>}
        <div class="btn-row">
          <button type="submit" class="btn primary" disabled={action.busy}>
            Save price
          </button>
        </div>
      </form>
    </section>
  )
}
