/**
 * The normalized event: what validation produces and the writer stores. Shared by the
 * bloop ingest endpoints and the Sentry envelope endpoint.
 */
export interface NormalizedEvent {
  project_id: string
  fingerprint: string
  /** Client time in ms (seconds-based clients are scaled). */
  timestamp: number
  /** Server receive time in ms; retention and hourly buckets use this, never `timestamp`. */
  received_at: number
  source: string
  environment: string
  release: string
  app_version: string | null
  build_number: string | null
  route_or_procedure: string | null
  screen: string | null
  error_type: string
  message: string
  stack: string | null
  http_status: number | null
  request_id: string | null
  user_id_hash: string | null
  device_id_hash: string | null
  /** Compact JSON text, or null. */
  metadata: string | null
  /** Client-side event id (Sentry); duplicates within a project are ignored. */
  event_id: string | null
  level: string | null
  /** Compact JSON of the event's breadcrumbs (errors/breadcrumbs.ts), or null/absent. */
  breadcrumbs?: string | null
}

/**
 * An issue is one (project, fingerprint); this joins the two into one map key. Project
 * ids never contain NUL, so the first NUL ends the project id and two different issues
 * never share a key.
 */
export const issueKey = (projectId: string, fingerprint: string) => `${projectId}\u0000${fingerprint}`
