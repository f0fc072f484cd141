/**
 * Projects: everyone sees them with their Sentry DSN; admins create, rename, rotate the
 * ingest key (confirmed first; the old key stops working at once) and delete them (not
 * `default`). A new or rotated key is shown once here with a copy button.
 */
import { useState } from 'preact/hooks'
import { CopyButton, Notice, Secret } from '../../components/bits'
import { ConfirmButton } from '../../components/Confirm'
import { useAction } from '../../lib/hooks'
import { isAdmin, projects, reloadProjects } from '../../lib/session'
import type { Project } from '../../lib/types'
import { projects as projectsApi } from './api'

const slugify = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)

function CreateProject({ onKey }: { onKey: (slug: string, key: string) => void }) {
  const [name, setName] = useState('')
  const [slug, setSlug] = useState('')
  const [touched, setTouched] = useState(false)
  const action = useAction()
  const submit = (ev: Event) => {
    ev.preventDefault()
    void action.run(async () => {
      const created = await projectsApi.create(name.trim(), slug)
      await reloadProjects()
      onKey(created.slug, created.api_key)
      setName('')
      setSlug('')
      setTouched(false)
    })
  }
  return (
    <form class="form" onSubmit={submit} aria-label="New project">
      <div class="field-row">
        <label class="field">
          <span>Name</span>
          <input
            id="project-name"
            required
            maxLength={100}
            value={name}
            onInput={(ev) => {
              const v = (ev.target as HTMLInputElement).value
              setName(v)
              if (!touched) setSlug(slugify(v))
            }}
          />
        </label>
        <label class="field">
          <span>Slug</span>
          <input
            id="project-slug"
            required
            pattern="[a-z0-9][a-z0-9\-]{0,62}"
            value={slug}
            onInput={(ev) => {
              setTouched(true)
              setSlug((ev.target as HTMLInputElement).value)
            }}
          />
          <small>lowercase letters, digits and dashes; used in URLs</small>
        </label>
      </div>
      <Notice kind="error">{action.error}</Notice>
      <div class="btn-row">
        <button type="submit" class="btn primary" id="create-project" disabled={action.busy}>
          Create project
        </button>
      </div>
    </form>
  )
}

function ProjectCard({
  p,
  admin,
  onKey,
}: {
  p: Project
  admin: boolean
  onKey: (slug: string, key: string) => void
}) {
  const [name, setName] = useState(p.name)
  const action = useAction()
  const rename = (ev: Event) => {
    ev.preventDefault()
    void action.run(async () => {
      await projectsApi.rename(p.slug, name.trim())
      await reloadProjects()
    })
  }
  return (
    <li class="card project" data-slug={p.slug}>
      <div class="card-head">
        <h3>{p.name}</h3>
        <span class="mono muted">{p.slug}</span>
      </div>
      {p.dsn && (
        <div class="field">
          <span class="label">Sentry DSN</span>
          <div class="secret">
            <code>{p.dsn}</code>
            <CopyButton text={p.dsn} label="Copy DSN" />
          </div>
        </div>
      )}
      {admin && (
        <>
          <form class="inline-form" onSubmit={rename}>
            <label class="sr-only" for={`rename-${p.slug}`}>
              Project name
            </label>
            <input
              id={`rename-${p.slug}`}
              value={name}
              maxLength={100}
              onInput={(ev) => setName((ev.target as HTMLInputElement).value)}
            />
            <button type="submit" class="btn small" disabled={action.busy || name.trim() === p.name}>
              Rename
            </button>
          </form>
          <Notice kind="error">{action.error}</Notice>
          <div class="btn-row">
            <button
              type="button"
              class="btn small"
              onClick={() => action.run(async () => onKey(p.slug, (await projectsApi.key(p.slug)).api_key))}
            >
              Show key
            </button>
            <ConfirmButton
              small
              label="Rotate key"
              title={`Rotate the key of ${p.name}?`}
              message={
                <p>
                  The current key stops working immediately. Every SDK and script using it must be updated.
                </p>
              }
              onConfirm={async () => onKey(p.slug, (await projectsApi.rotateKey(p.slug)).api_key)}
            />
            {p.slug !== 'default' && (
              <ConfirmButton
                small
                danger
                label="Delete"
                title={`Delete ${p.name}?`}
                message={
                  <p>
                    Its key and tokens stop working at once and all of its events are removed. This cannot be
                    undone.
                  </p>
                }
                onConfirm={async () => {
                  await projectsApi.remove(p.slug)
                  await reloadProjects()
                }}
              />
            )}
          </div>
        </>
      )}
    </li>
  )
}

export function ProjectsSettings() {
  const admin = isAdmin.value
  const [shown, setShown] = useState<{ slug: string; key: string } | null>(null)
  const onKey = (slug: string, key: string) => setShown({ slug, key })
  return (
    <>
      {admin && (
        <section class="card" aria-labelledby="new-project-title">
          <h2 id="new-project-title">New project</h2>
          <CreateProject onKey={onKey} />
        </section>
      )}
      {shown && <Secret value={shown.key} note={`Ingest key of ${shown.slug}: SDKs sign events with it.`} />}
      <ul class="projects">
        {projects.value.map((p) => (
          <ProjectCard key={`${p.id}:${p.name}`} p={p} admin={admin} onKey={onKey} />
        ))}
      </ul>
    </>
  )
}
