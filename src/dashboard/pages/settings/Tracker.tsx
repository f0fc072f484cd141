/**
 * Issue tracker links: per project, a URL template that the issue page turns into an
 * "Open in tracker" link. The server checks it (http or https, known placeholders) and
 * URL-encodes each value when it renders the link.
 */
import { useState } from 'preact/hooks'
import { Notice } from '../../components/bits'
import { api } from '../../lib/api'
import { useAction, useLoad } from '../../lib/hooks'
import { projects } from '../../lib/session'
import type { Project, TriageSettings } from '../../lib/types'

const settingsOf = (project: string) =>
  api<TriageSettings>('/v1/triage/settings', { query: { project_id: project } })
const save = (project: string, template: string | null) =>
  api<TriageSettings>('/v1/triage/settings', {
    method: 'PUT',
    query: { project_id: project },
    body: { tracker_template: template },
  })

function ProjectTracker({ project }: { project: Project }) {
  const current = useLoad(() => settingsOf(project.id), [project.id])
  const [text, setText] = useState<string | null>(null)
  const [saved, setSaved] = useState(false)
  const action = useAction()
  const value = text ?? current.data?.tracker_template ?? ''
  return (
    <form
      class="form"
      aria-label={`Tracker link of ${project.name}`}
      onSubmit={(ev) => {
        ev.preventDefault()
        setSaved(false)
        void action.run(async () => {
          await save(project.id, value.trim() || null)
          await current.reload()
          setText(null)
          setSaved(true)
        })
      }}
    >
      <label class="field">
        <span>{project.name}</span>
        <input
          name={`tracker-${project.slug}`}
          type="url"
          placeholder="https://github.com/acme/app/issues/new?title={title}&body={url}"
          value={value}
          onInput={(ev) => setText((ev.target as HTMLInputElement).value)}
        />
      </label>
      <button type="submit" class="btn small" disabled={action.busy}>
        Save
      </button>
      {saved && <span class="muted">Saved.</span>}
      <Notice kind="error">{action.error}</Notice>
    </form>
  )
}

export function TrackerSettings() {
  return (
    <section class="card">
      <h2>Issue tracker links</h2>
      <p class="muted">
        Placeholders: <code>{'{title}'}</code>, <code>{'{url}'}</code> (the issue in bloop),{' '}
        <code>{'{fingerprint}'}</code>, <code>{'{project}'}</code>. Each is URL-encoded.
      </p>
      {projects.value.map((p) => (
        <ProjectTracker key={p.id} project={p} />
      ))}
    </section>
  )
}
