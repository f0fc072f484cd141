/**
 * The long-lived parts of a running server, built once in `server.ts` (or by the test
 * helper) and passed to every feature's routes. Nothing here is a global.
 */
import type { Alerting } from './alerts/service'
import type { Analytics } from './analytics/service'
import type { Config } from './config/schema'
import type { StreamHub } from './dashboard/stream'
import type { Guard } from './http/auth'
import type { RateLimiter } from './http/ratelimit'
import type { AppMetrics } from './ops/appmetrics'
import type { Logger } from './ops/log'
import type { IngestQueue } from './pipeline/queue'
import type { Writer } from './pipeline/writer'
import type { SourceMaps } from './sourcemaps/service'
import type { Db } from './storage/db'

export interface Services {
  config: Config
  /** Main-thread connection: reads and small administrative writes. */
  db: Db
  /** The single writer of event data. */
  writer: Writer
  queue: IngestQueue
  guard: Guard
  log: Logger
  metrics: AppMetrics
  /** Clock in epoch ms; tests pass their own. */
  now: () => number
  /** Client IP of a request, after the trusted-proxy rule. */
  clientIp: (request: Request) => string
  ingestLimiter: RateLimiter
  /** Marks the server as shutting down; new ingest is refused with 503. */
  draining: { value: boolean }
  /** Maps a stored stack to original positions (source maps); absent until that feature is wired. */
  symbolicate?: (projectId: string, release: string, stack: string | null) => Promise<unknown | null>
  /** Alert evaluation and delivery (src/alerts); set by server.ts. */
  alerts?: Alerting
  /** The DuckDB analytics copy and its feed (issue 8); absent when not wired. */
  analytics?: Analytics
  /** The dashboard's live-update streams (src/dashboard/stream.ts); set by server.ts. */
  stream?: StreamHub
  /** Source-map threads: upload validation and the parsed-map cache (src/sourcemaps/service.ts). */
  sourcemaps?: SourceMaps
}
