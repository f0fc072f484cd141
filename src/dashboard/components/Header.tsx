/**
 * The top bar: brand, main navigation (the entries of the page table, pages/routes.ts),
 * project switcher, live-update state, account.
 */
import { liveState } from '../lib/live'
import { href, navigate, route, setQuery } from '../lib/router'
import { me, projectSlug, signOut } from '../lib/session'
import { NAV, pageAt } from '../pages/routes'
import { ProjectSelect } from './ProjectSelect'

function ProjectSwitcher() {
  const onChange = (value: string) => {
    const slug = value || null
    const path = route.value.path
    // A view of one item (an issue, a rule) goes to the list of the other project.
    const list = pageAt(path)?.route.onProjectSwitch?.(path)
    if (list) return navigate(href(list, { project: slug }))
    // Paging does not carry over to another project.
    setQuery({ project: slug, offset: null }, { replace: false })
  }
  return (
    <label class="switcher">
      <span class="sr-only">Project</span>
      <ProjectSelect
        id="project-switcher"
        value={projectSlug.value ?? ''}
        onChange={onChange}
        allOption="All projects"
      />
    </label>
  )
}

export function Header() {
  const path = route.value.path
  const project = projectSlug.value
  const live = liveState.value
  return (
    <header class="topbar">
      <a class="brand" href={href('/', { project })}>
        <span class="brand-dot" aria-hidden="true" />
        bloop
      </a>
      <nav class="mainnav" aria-label="Main">
        {NAV.map((n) => (
          <a key={n.href} href={href(n.href, { project })} aria-current={n.active(path) ? 'page' : undefined}>
            {n.label}
          </a>
        ))}
      </nav>
      <div class="topbar-right">
        <ProjectSwitcher />
        <span class="live" data-state={live} title="Live updates">
          {live === 'open' ? 'Live' : live === 'connecting' ? 'Connecting' : 'Paused'}
        </span>
        <span class="user" title={me.value?.is_admin ? 'Administrator' : 'Member'}>
          {me.value?.username}
        </span>
        <button type="button" class="btn small" id="sign-out" onClick={signOut}>
          Sign out
        </button>
      </div>
    </header>
  )
}
