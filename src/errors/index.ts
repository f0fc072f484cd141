/**
 * The errors feature: events in (the bloop ingest protocol, and `submit` for the Sentry
 * endpoint), grouped into issues on the writer thread, read back by the query API.
 *
 *   ingest/      POST /v1/ingest[/batch]: signature, validation, then `submit`
 *   intake.ts    the event queue (a BatchQueue of `errors.commit` tasks) and `submit`
 *   tasks.ts     the writer side: commit.ts, fold.ts and prune.ts `pruneRawBatch` on bun:sqlite;
 *                on the storage seam the triage tasks (triage.tasks.ts: status, assign, merge,
 *                comments), the sample-ring resize (samples.ts) and the hourly prunes
 *   fold.schedule.ts   when tag counts and users are folded in after the commits
 *   routes.ts    GET /v1/errors and the rest of the query API (queries.ts, model.ts), and
 *   triage.routes.ts  bulk actions, merge, assignment, comments, settings; both read through
 *                the storage seam (`backend`)
 *   fingerprint.ts, event.ts   grouping and the event model, pure
 *
 * Other features reach it only through what this file exports.
 */
import { type AnyElysia, Elysia } from 'elysia'
import type { Config } from '../config/schema'
import type { Core, Feature, Started } from '../core/feature'
import type { CommitListener } from '../storage/queue'
import type { TaskRunner } from '../storage/tasks'
import type { CommitResult } from './commit'
import type { NormalizedEvent } from './event'
import { Folder } from './fold.schedule'
import { ingestRoutes } from './ingest/routes'
import { type EventQueue, eventQueue, type Submit, submitter } from './intake'
import m001pg from './migrations/001_events.pg.sql' with { type: 'text' }
import m001 from './migrations/001_events.sql' with { type: 'text' }
import m006pg from './migrations/006_sample_slots.pg.sql' with { type: 'text' }
import m006 from './migrations/006_sample_slots.sql' with { type: 'text' }
import m202612021345pg from './migrations/202612021345_triage.pg.sql' with { type: 'text' }
import m202612021345 from './migrations/202612021345_triage.sql' with { type: 'text' }
import m202612021422pg from './migrations/202612021422_triage_data.pg.sql' with { type: 'text' }
import m202612021422 from './migrations/202612021422_triage_data.sql' with { type: 'text' }
import m202612021705pg from './migrations/202612021705_fold.pg.sql' with { type: 'text' }
import m202612021705 from './migrations/202612021705_fold.sql' with { type: 'text' }
import m202612022300pg from './migrations/202612022300_issue_users.pg.sql' with { type: 'text' }
import m202612022300 from './migrations/202612022300_issue_users.sql' with { type: 'text' }
import m202612031200pg from './migrations/202612031200_event_ids.pg.sql' with { type: 'text' }
import m202612031200 from './migrations/202612031200_event_ids.sql' with { type: 'text' }
import { errorsRoutes, type Symbolicate } from './routes'
import { type ErrorsTasks, errorsProjectData, errorsTasks } from './tasks'
import type { Directory } from './triage.read'
import { triageRoutes } from './triage.routes'

export { sentryBreadcrumbs } from './breadcrumbs'
export type { CommitResult, CommittedIssue, IssueStatus } from './commit'
export { STATUSES } from './commit'
export { issueKey, type NormalizedEvent } from './event'
export { computeFingerprint, FINGERPRINT_VERSION, hash64 } from './fingerprint'
export { bannerText, ingestBanner, maskKey } from './ingest/banner'
export { parseJson as parseIngestJson } from './ingest/routes'
export { type Caps, MAX_SHORT_FIELD_BYTES, MAX_SOURCE_CHARS } from './ingest/validate'
export type { Ack, Endpoint, EventQueue, Submit } from './intake'
export type { Symbolicate } from './routes'
export type { ErrorsTasks } from './tasks'
export type { Directory } from './triage.read'

export type ErrorsCommitListener = CommitListener<NormalizedEvent, CommitResult>

const CONFIG = ['ingest', 'pipeline'] as const

export interface ErrorsDeps
  extends Pick<
    Core,
    'backend' | 'log' | 'metrics' | 'now' | 'guard' | 'clientIp' | 'ingestLimiter' | 'draining' | 'load'
  > {
  config: Pick<Config, (typeof CONFIG)[number]>
  writer: TaskRunner<ErrorsTasks>
  /** Maps stored stacks through source maps on read; the composition root passes it when wired. */
  symbolicate?: Symbolicate
  /** Users who may be assigned, project slugs and the dashboard's origin (triage). */
  directory: Directory
}

export interface ErrorsRunning extends Started {
  routes: AnyElysia
  queue: EventQueue
  /** Queues validated events; resolves once committed (AppError 429/503 otherwise). */
  submit: Submit
  /** Listens to every committed batch; listeners run after the acknowledgements. */
  onCommit(listener: ErrorsCommitListener): void
  /**
   * Resolves once the tag counts and users of every event committed so far are folded in
   * (they trail the commit by up to a second otherwise: fold.schedule.ts). For tests and tools.
   */
  fold(): Promise<void>
}

export const errors: Feature<ErrorsDeps, ErrorsRunning> = {
  name: 'errors',
  config: CONFIG,
  backends: ['sqlite', 'postgres'],
  migrations: [
    { file: '001_events.sql', sql: m001, pg: m001pg },
    { file: '006_sample_slots.sql', sql: m006, pg: m006pg },
    { file: '202612021345_triage.sql', sql: m202612021345, pg: m202612021345pg },
    { file: '202612021422_triage_data.sql', sql: m202612021422, pg: m202612021422pg },
    { file: '202612021705_fold.sql', sql: m202612021705, pg: m202612021705pg },
    { file: '202612022300_issue_users.sql', sql: m202612022300, pg: m202612022300pg },
    { file: '202612031200_event_ids.sql', sql: m202612031200, pg: m202612031200pg },
  ],
  tasks: errorsTasks,
  projectData: errorsProjectData,
  retention: [
    { name: 'raw_events', task: 'errors.pruneRaw' },
    { name: 'hourly_counts', task: 'errors.pruneHourly' },
    { name: 'users_hourly', task: 'errors.pruneUsersHourly' },
  ],

  async start(d) {
    const sampleSize = d.config.pipeline.sample_reservoir_size
    const resized = await d.writer.run('errors.resizeSampleRings', { sampleSize })
    if (resized.moved + resized.dropped > 0) {
      d.log.info('sample reservoir size changed: samples renumbered', { ...resized, size: sampleSize })
    }
    const queue = eventQueue(d)
    const registry = d.metrics.registry
    registry.gauge('bloop_queue_depth', 'Events waiting for the writer.', () => queue.depth)
    registry.gauge('bloop_queue_capacity', 'Maximum events waiting for the writer.', () => queue.capacity)
    const submit = submitter(d, queue)
    const folder = new Folder({ fold: (a) => d.writer.run('errors.fold', a), load: d.load, log: d.log })
    queue.onCommit(() => folder.committed())
    // Whatever a crash left after the watermark.
    folder.committed()
    return {
      routes: new Elysia()
        .use(ingestRoutes({ ...d, submit }))
        .use(errorsRoutes(d))
        .use(triageRoutes(d)),
      queue,
      submit,
      onCommit: (listener) => queue.onCommit(listener),
      fold: () => folder.catchUp(),
      stop: () => folder.stop(),
    }
  },
}
