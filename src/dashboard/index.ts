/**
 * The dashboard feature. Its server side is routes.ts (the app's HTML shell on the
 * client-side paths, and GET /v1/stream) and stream.ts (live updates after each batch the
 * errors and LLM features commit). The rest of this folder (pages/, lib/, components/, app.tsx,
 * main.tsx) is the browser app, a separate bundle built by web/assets.ts: it imports only
 * browser-safe modules, and other features' shapes only as types.
 */
import type { AnyElysia } from 'elysia'
import type { Core, Feature, Started } from '../core/feature'
import type { ErrorsCommitListener } from '../errors'
import type { LlmCommitListener } from '../llm'
import { dashboardRoutes } from './routes'
import { StreamHub } from './stream'

export { StreamHub } from './stream'

export interface DashboardDeps extends Pick<Core, 'guard' | 'draining'> {
  onErrorsCommit: (listener: ErrorsCommitListener) => void
  /** The LLM feature's commits, for the LLM pages' live updates (absent: none). */
  onLlmCommit?: (listener: LlmCommitListener) => void
}

export interface DashboardRunning extends Started {
  routes: AnyElysia
  stream: StreamHub
}

export const dashboard: Feature<DashboardDeps, DashboardRunning> = {
  name: 'dashboard',
  config: [],
  migrations: [],
  // No storage of its own: nothing differs between backends.
  backends: ['sqlite', 'postgres'],

  start(d) {
    const stream = new StreamHub()
    // A tick to open streams after each committed batch.
    d.onErrorsCommit(stream.onCommit)
    d.onLlmCommit?.(stream.onLlmCommit)
    return {
      routes: dashboardRoutes({ ...d, stream }),
      stream,
      // Open streams never end by themselves, and the HTTP server's stop waits for them.
      closeStreams: () => stream.close(),
      stop: () => stream.close(),
    }
  },
}
