/**
 * The projects feature: project rows and their ingest keys (store.ts), administration
 * shared by the API and the CLI (manage.ts, routes.ts, cli.ts), and the removal of a
 * deleted project's data from every feature's tables (tasks.ts, a writer task).
 *
 * It owns no event data itself; the tables it empties are those the other features
 * declare (`projectData`), passed in by the composition root in removal order.
 */
import type { AnyElysia } from 'elysia'
import type { Config } from '../config/schema'
import type { Core, Feature, ProjectDataTable, Started } from '../core/feature'
import type { TaskRunner } from '../storage/tasks'
import { resumePurges } from './manage'
import m001pg from './migrations/001_projects.pg.sql' with { type: 'text' }
import m001 from './migrations/001_projects.sql' with { type: 'text' }
import { projectsRoutes } from './routes'
import { DEFAULT_PROJECT_ID, ensureDefaultProject, findProject, type ProjectRow } from './store'
import type { ProjectsTasks } from './tasks'

export type { ProjectDeleteDeps } from './cli'
export { projectCreate, projectDelete, projectList, projectOrUsage, projectRotateKey } from './cli'
export {
  DEFAULT_PROJECT_ID,
  ensureDefaultProject,
  findProject,
  findProjectOnSqlite,
  insertProject,
  listProjects,
  mintProject,
  type ProjectRow,
  projectByKey,
} from './store'
export { type ProjectsTasks, purgeOrder, purgeTasks } from './tasks'

const CONFIG = ['retention'] as const

export interface ProjectsDeps extends Pick<Core, 'backend' | 'guard' | 'log' | 'now'> {
  config: Pick<Config, (typeof CONFIG)[number]>
  writer: TaskRunner<ProjectsTasks>
  /** Every feature's project data, in removal order (`purgeOrder`). */
  tables: readonly ProjectDataTable[]
  /** The HMAC secret the default project's key starts as (and follows while unrotated). */
  secret: string
  dsnOf: (project: { id: string }) => Promise<string | null>
}

export interface ProjectsRunning extends Started {
  routes: AnyElysia
  defaultProject: ProjectRow
  /** This start created the default project: the database is new. */
  createdDefault: boolean
}

export const projects: Feature<ProjectsDeps, ProjectsRunning> = {
  name: 'projects',
  config: CONFIG,
  migrations: [{ file: '001_projects.sql', sql: m001, pg: m001pg }],
  backends: ['sqlite', 'postgres'],

  async start(d) {
    const createdDefault = !(await findProject(d.backend, DEFAULT_PROJECT_ID))
    const defaultProject = await ensureDefaultProject(d.backend, d.secret, d.now())
    const purge = {
      backend: d.backend,
      writer: d.writer,
      log: d.log,
      batchSize: d.config.retention.prune_batch_size,
      tables: d.tables,
    }
    // Finish removing the data of projects deleted before a crash or shutdown.
    void resumePurges(purge).catch((err) =>
      d.log.warn('unfinished project purges were not resumed; the next start tries again', {
        error: (err as Error).message,
      }),
    )
    return { routes: projectsRoutes({ ...d, purge }), defaultProject, createdDefault }
  },
}
