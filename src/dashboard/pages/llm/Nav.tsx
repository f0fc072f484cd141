/** The LLM section's sub-navigation and window picker, shared by its pages. */
import { href, route, setQuery } from '../../lib/router'
import { projectSlug, projects } from '../../lib/session'

const TABS = [
  { path: '/llm', label: 'Overview' },
  { path: '/llm/traces', label: 'Traces' },
  { path: '/llm/sessions', label: 'Sessions' },
  { path: '/llm/prompts', label: 'Prompts' },
  { path: '/llm/experiments', label: 'Experiments' },
  { path: '/llm/models', label: 'Models' },
  { path: '/llm/settings', label: 'Settings' },
]

export const WINDOWS = [24, 72, 168, 336]

/** The window of the URL (`hours`), one of WINDOWS, 24 by default. */
export function windowHours(): number {
  const h = Number(route.value.query.get('hours'))
  return WINDOWS.includes(h) ? h : 24
}

/**
 * The one project per-project answers (the budget) are about: the selected one, or the
 * only one there is; null when the caller sees several and chose none.
 */
export function oneProject(): string | null {
  if (projectSlug.value) return projectSlug.value
  return projects.value.length === 1 ? (projects.value[0]?.slug ?? null) : null
}

/** `window: false` for a page the window does not change (the settings). */
export function LlmNav({ title, window = true }: { title: string; window?: boolean }) {
  const path = route.value.path
  const project = projectSlug.value ?? undefined
  const hours = windowHours()
  return (
    <>
      <div class="page-head">
        <h1>{title}</h1>
        {window && (
          <label class="field">
            <span>Window</span>
            <select
              id="llm-hours"
              value={String(hours)}
              onChange={(ev) => setQuery({ hours: (ev.target as HTMLSelectElement).value })}
            >
              {WINDOWS.map((h) => (
                <option key={h} value={String(h)}>
                  {h < 168 ? `${h} hours` : `${h / 24} days`}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      <nav class="subnav" aria-label="LLM">
        {TABS.map((t) => (
          <a
            key={t.path}
            href={href(t.path, { project, hours: hours === 24 ? undefined : String(hours) })}
            aria-current={
              path === t.path || (t.path !== '/llm' && path.startsWith(t.path)) ? 'page' : undefined
            }
          >
            {t.label}
          </a>
        ))}
      </nav>
    </>
  )
}
