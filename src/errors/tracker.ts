/**
 * The external tracker link of an issue page: a per-project URL template such as
 * `https://github.com/acme/app/issues/new?title={title}&body={url}` (docs/decisions.md,
 * "Triage"). Pure: the settings route validates with it, the issue detail renders with it.
 */

export const MAX_TEMPLATE_CHARS = 2000
export const PLACEHOLDERS = ['title', 'url', 'fingerprint', 'project'] as const
export type Placeholder = (typeof PLACEHOLDERS)[number]

const TOKEN = /\{([^{}]*)\}/g

/** Why `template` cannot be used, or null when it can. */
export function templateProblem(template: string): string | null {
  if (template.length > MAX_TEMPLATE_CHARS) return `must be at most ${MAX_TEMPLATE_CHARS} characters`
  for (const m of template.matchAll(TOKEN)) {
    if (!(PLACEHOLDERS as readonly string[]).includes(m[1] as string))
      return `unknown placeholder {${m[1]}}; use ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`
  }
  let url: URL
  try {
    url = new URL(template.replace(TOKEN, 'x'))
  } catch {
    return 'must be an absolute URL'
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http or https URL'
  return null
}

/** The template with every placeholder replaced by its URL-encoded value. */
export function renderTemplate(template: string, values: Record<Placeholder, string>): string {
  return template.replace(TOKEN, (whole, name: string) =>
    name in values ? encodeURIComponent(values[name as Placeholder]) : whole,
  )
}
