/**
 * /v1/projects (docs/decisions.md, "Access"). Signed-in users (sessions, not API tokens) may list and read
 * projects; only admins create, rename, delete and rotate keys. Every signed-in user sees
 * every project (bloop has no per-project membership).
 *
 *   GET    /v1/projects                    [project]
 *   POST   /v1/projects                    {name, slug} -> 201 project + api_key   (admin)
 *   GET    /v1/projects/:slug              project
 *   PUT    /v1/projects/:slug              {name} -> project                       (admin)
 *   DELETE /v1/projects/:slug              {deleted, id, slug}                     (admin)
 *   POST   /v1/projects/:slug/rotate-key   project + new api_key                   (admin)
 *   GET    /v1/projects/:slug/key          {id, slug, api_key}                     (admin)
 *
 * The key is shown on create and rotate, and by the last route: the one exception, so the
 * dashboard's setup guide can show an admin the real key to paste into an SDK. It is
 * admin-only and session-only, like rotation (whoever may rotate the key may see it).
 */

import { Type as T } from '@sinclair/typebox'
import { Elysia } from 'elysia'
import type { Core } from '../core/feature'
import { access } from '../http/access'
import { json } from '../http/errors'
import { parseBody } from '../http/validate'
import {
  createProject,
  deleteProject,
  type PurgeDeps,
  projectOr404,
  renameProject,
  rotateKey,
} from './manage'
import {
  CreateProjectBody,
  Project,
  ProjectDeleted,
  ProjectKey,
  ProjectWithKey,
  projectView,
  projectWithKey,
  SlugParams,
  UpdateProjectBody,
} from './model'
import { listProjects } from './store'

export interface ProjectsRoutesDeps extends Pick<Core, 'backend' | 'guard' | 'log' | 'now'> {
  purge: PurgeDeps
  /** The project's Sentry DSN (the Sentry feature knows it; the composition root passes it). */
  dsnOf: (project: { id: string }) => Promise<string | null>
}

export function projectsRoutes(s: ProjectsRoutesDeps) {
  // Every project answer carries its Sentry DSN, so the dashboard and scripts can show it.
  const withDsn = async <T extends { id: string }>(view: T) => ({ ...view, dsn: await s.dsnOf(view) })
  const purgeDeps = s.purge

  return new Elysia({ name: 'projects' })
    .use(access(s.guard))
    .get(
      '/v1/projects',
      async () => Promise.all((await listProjects(s.backend)).map((row) => withDsn(projectView(row)))),
      {
        session: true,
        schema: { response: { 200: T.Array(Project) } },
      },
    )
    .post(
      '/v1/projects',
      async ({ user: admin, body }) => {
        const b = parseBody(CreateProjectBody, body)
        const row = await createProject(
          s.backend,
          { name: b.name, slug: b.slug, createdBy: admin.userId },
          s.now(),
        )
        s.log.info('project created', { project_id: row.id, slug: row.slug, by: admin.username })
        return json(await withDsn(projectWithKey(row)), 201)
      },
      { admin: true, schema: { body: CreateProjectBody, response: { 201: ProjectWithKey } } },
    )
    .get(
      '/v1/projects/:slug',
      async ({ params }) => withDsn(projectView(await projectOr404(s.backend, params.slug))),
      { session: true, schema: { params: SlugParams, response: { 200: Project } } },
    )
    .put(
      '/v1/projects/:slug',
      async ({ params, body }) =>
        withDsn(
          projectView(await renameProject(s.backend, params.slug, parseBody(UpdateProjectBody, body).name)),
        ),
      { admin: true, schema: { params: SlugParams, body: UpdateProjectBody, response: { 200: Project } } },
    )
    .delete(
      '/v1/projects/:slug',
      async ({ user: admin, params }) => {
        const { row } = await deleteProject(purgeDeps, params.slug)
        s.log.info('project deletion requested', { project_id: row.id, slug: row.slug, by: admin.username })
        return { deleted: true, id: row.id, slug: row.slug }
      },
      { admin: true, schema: { params: SlugParams, response: { 200: ProjectDeleted } } },
    )
    .post(
      '/v1/projects/:slug/rotate-key',
      async ({ user: admin, params }) => {
        const row = await rotateKey(s.backend, params.slug)
        s.log.info('project key rotated', { project_id: row.id, slug: row.slug, by: admin.username })
        return withDsn(projectWithKey(row))
      },
      { admin: true, schema: { params: SlugParams, response: { 200: ProjectWithKey } } },
    )
    .get(
      '/v1/projects/:slug/key',
      async ({ params }) => {
        const row = await projectOr404(s.backend, params.slug)
        return { id: row.id, slug: row.slug, api_key: row.api_key }
      },
      { admin: true, schema: { params: SlugParams, response: { 200: ProjectKey } } },
    )
}
