/**
 * How to send a project's LLM calls to bloop without its SDK: the proxy snippets (OpenAI,
 * Anthropic, Python) and the OpenTelemetry exporter's, with the project's real ingest key
 * (admins can read it; others see a placeholder and where to get it), each copyable.
 */
import { Notice } from '../../components/bits'
import { SnippetTabs } from '../../components/SnippetTabs'
import { api } from '../../lib/api'
import { useLoad } from '../../lib/hooks'
import { isAdmin } from '../../lib/session'
import { llmSnippets } from './setup'

const PLACEHOLDER_KEY = 'bloop_<your project key>'

export function LlmSetupGuide({ project }: { project: string }) {
  const admin = isAdmin.value
  const key = useLoad(
    async () =>
      admin
        ? (await api<{ api_key: string }>(`/v1/projects/${encodeURIComponent(project)}/key`)).api_key
        : null,
    [project, admin],
  )
  const list = llmSnippets(location.origin, key.data ?? PLACEHOLDER_KEY)
  return (
    <section class="card setup" id="llm-setup" aria-labelledby="llm-setup-title">
      <h2 id="llm-setup-title">Send LLM calls</h2>
      <p>
        Point the provider's client at bloop's proxy, or an OpenTelemetry exporter at bloop: calls are traced
        with no other change. The project is named by its key in <code>X-Bloop-Key</code>.
      </p>
      {!admin && (
        <p class="muted" id="llm-setup-no-key">
          Only admins can read project keys: ask an admin, or run <code>bloop project list --keys</code> on
          the server.
        </p>
      )}
      <Notice kind="error">{key.error}</Notice>
      <SnippetTabs list={list} label="LLM snippets" />
    </section>
  )
}
