/**
 * The empty state of the issues list: how to send the first event to a project, with the
 * project's real ingest key (admins can read it; others see where to get it), the
 * endpoint, signed snippets for curl and the official SDKs, and the Sentry DSN.
 */

import { CopyButton, Loading, Notice } from '../../components/bits'
import { SnippetTabs } from '../../components/SnippetTabs'
import { useLoad } from '../../lib/hooks'
import { isAdmin, projects, selectedProject } from '../../lib/session'
import { projects as projectsApi } from '../settings/api'
import { snippets } from './snippets'

const PLACEHOLDER_KEY = 'bloop_<your project key>'

export function SetupGuide() {
  const project =
    selectedProject.value ?? projects.value.find((p) => p.slug === 'default') ?? projects.value[0]
  const admin = isAdmin.value
  const key = useLoad(
    async () => (admin && project ? (await projectsApi.key(project.slug)).api_key : null),
    [project?.slug, admin],
  )
  // The served SDK script's versioned URL and integrity hash, for the script-tag snippet.
  const script = useLoad(async () => {
    const res = await fetch('/sdk/manifest.json')
    return res.ok ? ((await res.json()) as { url: string; integrity: string }) : null
  }, [])
  if (!project) return <Notice>No projects yet.</Notice>
  const endpoint = location.origin
  const list = snippets({ endpoint, key: key.data ?? PLACEHOLDER_KEY, dsn: project.dsn, script: script.data })

  return (
    <section class="card setup" aria-labelledby="setup-title">
      <h2 id="setup-title">Send your first error to {project.name}</h2>
      <p>
        No errors yet. Sign each request with the project key; events show up here as soon as they are stored,
        without a reload.
      </p>
      <div class="setup-facts">
        <div class="field">
          <span class="label">Endpoint</span>
          <div class="secret">
            <code>{endpoint}</code>
            <CopyButton text={endpoint} />
          </div>
        </div>
        <div class="field">
          <span class="label">Project key</span>
          {key.loading && admin ? (
            <Loading what="the key" />
          ) : key.data ? (
            <div class="secret">
              <code id="project-key">{key.data}</code>
              <CopyButton text={key.data} label="Copy key" />
            </div>
          ) : (
            <p class="muted">
              Only admins can read project keys. Ask an admin, or use <code>bloop project rotate-key</code> on
              the server.
            </p>
          )}
          <Notice kind="error">{key.error}</Notice>
        </div>
        {project.dsn && (
          <div class="field">
            <span class="label">Sentry DSN</span>
            <div class="secret">
              <code id="project-dsn">{project.dsn}</code>
              <CopyButton text={project.dsn} label="Copy DSN" />
            </div>
          </div>
        )}
      </div>
      <SnippetTabs list={list} label="Snippets" />
    </section>
  )
}
