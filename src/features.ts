/**
 * The composition root's one list of features, in dependency order (a feature comes after
 * every feature it uses), and how they are started. Everything the core does for all
 * features reads this list: the migrations, the tables emptied when a project is deleted,
 * what the retention sweeper prunes, the routes, the order of shutdown (reverse).
 *
 * Adding a feature: add its object here and a line to `startFeatures` with its deps (and
 * its tasks to src/writer.tasks.ts). docs/ARCHITECTURE.md, "Adding a feature".
 */
import { admin } from './admin'
import { alerts, type Resolver } from './alerts'
import { analytics } from './analytics'
import { auth, getUser, listUsers, userByName } from './auth'
import type { Core, Started } from './core/feature'
import { dashboard } from './dashboard'
import { errors } from './errors'
import { llm } from './llm'
import { findProject, projects, purgeOrder } from './projects'
import { retention } from './retention'
import { sdk } from './sdk'
import { dsnFor, sentry } from './sentry'
import { sourcemaps } from './sourcemaps'
import { planMigrations, STORAGE_MIGRATIONS } from './storage/migrate'
import { tokens } from './tokens'
import { type ServerWriter, sweeperWriter } from './writer'

export const FEATURES = [
  projects,
  auth,
  tokens,
  admin,
  retention,
  sourcemaps,
  errors,
  alerts,
  llm,
  dashboard,
  analytics,
  sentry,
  sdk,
] as const

/** Storage's migrations and every feature's, in id order. */
export const MIGRATIONS = planMigrations([
  STORAGE_MIGRATIONS,
  ...FEATURES.map((f) => ({ owner: f.name, files: f.migrations })),
])

/** Every feature's tables of per-project rows, in the order a deleted project's rows go. */
export const PROJECT_DATA = purgeOrder(FEATURES.map((f) => f.projectData))

/** What a retention pass prunes, feature by feature. */
export const RETENTION_HOOKS = FEATURES.flatMap((f) => f.retention ?? [])

export interface StartOptions {
  writer: ServerWriter
  /** The HMAC secret (the default project's key starts as it). */
  secret: string
  /** DNS resolver for alert URL checks (tests simulate DNS changes with it). */
  resolve?: Resolver
}

/**
 * Starts every feature in list order, each with the dependencies its type declares. If
 * one fails to start, those already started are stopped (in reverse) and the error thrown.
 */
export type Running = Awaited<ReturnType<typeof startFeatures>>

export async function startFeatures(core: Core, o: StartOptions) {
  const started: Started[] = []
  const begin = async <R extends Started>(run: () => R | Promise<R>): Promise<R> => {
    const r = await run()
    started.push(r)
    return r
  }
  try {
    const { config } = core
    const projectsRunning = await begin(() =>
      projects.start({
        ...core,
        writer: o.writer,
        tables: PROJECT_DATA,
        secret: o.secret,
        dsnOf: (p) => dsnFor(core.backend, p, config.auth.rp_origin),
      }),
    )
    const authRunning = await begin(() => auth.start(core))
    const tokensRunning = await begin(() => tokens.start(core))
    const adminRunning = await begin(() => admin.start(core))
    const retentionRunning = await begin(() =>
      retention.start({ ...core, writer: sweeperWriter(o.writer), hooks: RETENTION_HOOKS }),
    )
    const sourcemapsRunning = await begin(() => sourcemaps.start(core))
    const errorsRunning = await begin(() =>
      errors.start({
        ...core,
        writer: o.writer,
        symbolicate: sourcemapsRunning.symbolicate,
        directory: {
          user: async (ref) => {
            const u = (await getUser(core.backend, ref)) ?? (await userByName(core.backend, ref))
            return u ? { id: u.id, username: u.username } : null
          },
          users: async () => (await listUsers(core.backend)).map((u) => ({ id: u.id, username: u.username })),
          projectSlug: async (id) => (await findProject(core.backend, id))?.slug ?? null,
          origin: config.auth.rp_origin,
        },
      }),
    )
    const onErrorsCommit = errorsRunning.onCommit
    const alertsRunning = await begin(() => alerts.start({ ...core, onErrorsCommit, resolve: o.resolve }))
    const llmRunning = await begin(() =>
      llm.start({
        ...core,
        writer: o.writer,
        submitErrors: errorsRunning.submit,
        alerting: alertsRunning.alerting,
      }),
    )
    const dashboardRunning = await begin(() =>
      dashboard.start({ ...core, onErrorsCommit, onLlmCommit: llmRunning.onCommit }),
    )
    const analyticsRunning = await begin(() => analytics.start({ ...core, onErrorsCommit }))
    const sentryRunning = await begin(() => sentry.start({ ...core, submit: errorsRunning.submit }))
    const sdkRunning = await begin(() => sdk.start(core))
    // Keys in list order: the server serves routes and stops features in this order (reversed).
    return {
      projects: projectsRunning,
      auth: authRunning,
      tokens: tokensRunning,
      admin: adminRunning,
      retention: retentionRunning,
      sourcemaps: sourcemapsRunning,
      errors: errorsRunning,
      alerts: alertsRunning,
      llm: llmRunning,
      dashboard: dashboardRunning,
      analytics: analyticsRunning,
      sentry: sentryRunning,
      sdk: sdkRunning,
    } satisfies Record<(typeof FEATURES)[number]['name'], Started>
  } catch (err) {
    for (const f of started.reverse()) await f.stop?.()
    throw err
  }
}
