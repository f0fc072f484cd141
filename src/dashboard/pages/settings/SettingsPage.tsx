/**
 * Settings (`/settings/<section>`). Admin-only sections (retention, users and invites) are
 * not linked for other users, and opening their URL shows a notice without calling the
 * admin API (which would refuse with 403 anyway).
 */
import { Notice } from '../../components/bits'
import { href, route } from '../../lib/router'
import { isAdmin, projectSlug } from '../../lib/session'
import { AccountSettings } from './Account'
import { ProjectsSettings } from './Projects'
import { RetentionSettings } from './Retention'
import { SourceMapsSettings } from './SourceMaps'
import { TokensSettings } from './Tokens'
import { TrackerSettings } from './Tracker'
import { UsersSettings } from './Users'

const SECTIONS = [
  { id: 'projects', label: 'Projects', admin: false, view: ProjectsSettings },
  { id: 'tokens', label: 'API tokens', admin: false, view: TokensSettings },
  { id: 'sourcemaps', label: 'Source maps', admin: false, view: SourceMapsSettings },
  { id: 'tracker', label: 'Tracker links', admin: false, view: TrackerSettings },
  { id: 'retention', label: 'Retention', admin: true, view: RetentionSettings },
  { id: 'users', label: 'Users and invites', admin: true, view: UsersSettings },
  { id: 'account', label: 'Your passkeys', admin: false, view: AccountSettings },
] as const

export function SettingsPage() {
  const id = route.value.path.split('/')[2] || 'projects'
  const admin = isAdmin.value
  const section = SECTIONS.find((s) => s.id === id)
  const project = projectSlug.value
  const View = section?.view
  return (
    <>
      <div class="page-head">
        <h1>Settings</h1>
      </div>
      <nav class="subnav" aria-label="Settings">
        {SECTIONS.filter((s) => admin || !s.admin).map((s) => (
          <a
            key={s.id}
            href={href(`/settings/${s.id}`, { project })}
            aria-current={s.id === section?.id ? 'page' : undefined}
          >
            {s.label}
          </a>
        ))}
      </nav>
      {!section || !View ? (
        <Notice kind="error">No such settings page.</Notice>
      ) : section.admin && !admin ? (
        <div class="card" id="admin-only">
          <h2>Administrators only</h2>
          <p>{`${section.label} can only be managed by an administrator of this bloop server.`}</p>
        </div>
      ) : (
        <View />
      )}
    </>
  )
}
