/** Links between the LLM pages, shared so no page's chunk has to load another page's code. */
import { href } from '../../lib/router'
import { projectSlugOf } from '../../lib/session'

export function traceHref(t: { id: string; project_id: string }): string {
  return href(`/llm/traces/${encodeURIComponent(t.id)}`, { project: projectSlugOf(t.project_id) })
}
