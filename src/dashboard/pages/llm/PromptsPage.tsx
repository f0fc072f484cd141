/**
 * Prompts (`/llm/prompts`): the prompt names traces carried in the window, and for the
 * chosen one (`?prompt=` in the URL) its versions with their traces, mean cost, latency
 * and tokens and error rate, each linked to its traces.
 */
import { Loading, Notice } from '../../components/bits'
import { useLoad } from '../../lib/hooks'
import { href, route } from '../../lib/router'
import { projectSlug } from '../../lib/session'
import { llm } from './api'
import { money, ms, pct, tokens } from './format'
import { LlmNav, windowHours } from './Nav'

function Versions({ name, project, hours }: { name: string; project?: string; hours: number }) {
  const v = useLoad(() => llm.promptVersions(name, { project_id: project, hours }), [name, project, hours])
  if (v.error) return <Notice kind="error">{v.error}</Notice>
  if (!v.data) return <Loading what="versions" />
  return (
    <section class="card table-wrap" aria-labelledby="llm-versions-title">
      <h2 id="llm-versions-title">Versions of {name}</h2>
      <table id="llm-versions">
        <thead>
          <tr>
            <th>Version</th>
            <th class="num">Traces</th>
            <th class="num">Mean cost</th>
            <th class="num">Mean duration</th>
            <th class="num">Mean tokens in / out</th>
            <th class="num">Errors</th>
          </tr>
        </thead>
        <tbody>
          {v.data.versions.map((r) => (
            <tr key={r.version ?? ''} data-version={r.version ?? ''}>
              <td>
                <a
                  href={href('/llm/traces', {
                    project,
                    prompt_name: name,
                    prompt_version: r.version ?? undefined,
                  })}
                >
                  {r.version ?? '(none)'}
                </a>
              </td>
              <td class="num">{r.trace_count}</td>
              <td class="num">{money(r.avg_cost_micros)}</td>
              <td class="num">{ms(r.avg_latency_ms)}</td>
              <td class="num">
                {tokens(r.avg_input_tokens === null ? null : Math.round(r.avg_input_tokens))} /{' '}
                {tokens(r.avg_output_tokens === null ? null : Math.round(r.avg_output_tokens))}
              </td>
              <td class="num">{pct(r.error_rate)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

export function LlmPromptsPage() {
  const project = projectSlug.value ?? undefined
  const hours = windowHours()
  const chosen = route.value.query.get('prompt')
  const list = useLoad(() => llm.prompts({ project_id: project, hours, limit: 200 }), [project, hours])
  const rows = list.data?.prompts ?? []
  return (
    <>
      <LlmNav title="Prompts" />
      <Notice kind="error">{list.error}</Notice>
      {!list.data ? (
        list.error ? null : (
          <Loading what="prompts" />
        )
      ) : rows.length === 0 ? (
        <p class="card empty">No traces named a prompt (prompt_name) in this window.</p>
      ) : (
        <div class="card table-wrap">
          <table id="llm-prompts">
            <thead>
              <tr>
                <th>Prompt</th>
                <th class="num">Versions</th>
                <th class="num">Traces</th>
                <th class="num">Mean cost</th>
                <th class="num">Errors</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((p) => (
                <tr key={p.name} data-prompt={p.name}>
                  <td>
                    <a
                      href={href('/llm/prompts', {
                        ...Object.fromEntries(route.value.query),
                        prompt: p.name,
                      })}
                      aria-current={p.name === chosen ? 'true' : undefined}
                    >
                      {p.name}
                    </a>
                  </td>
                  <td class="num">{p.version_count}</td>
                  <td class="num">{p.total_traces}</td>
                  <td class="num">{money(p.avg_cost_micros)}</td>
                  <td class="num">{pct(p.error_rate)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {chosen && <Versions key={chosen} name={chosen} project={project} hours={hours} />}
    </>
  )
}
