/**
 * The API's shapes as the dashboard reads them, derived from the server's own schemas and
 * row types (type-only imports: nothing of the server is bundled into the browser). A
 * change of a response shape on the server is a type error here.
 */
import type { adminUserView, inviteView } from '../../admin/model'
import type {
  ChannelConfig,
  ChannelView,
  DeliveryView,
  Outcome,
  RuleConfig,
  RuleType,
  RuleView,
} from '../../alerts/model'
import type {
  CorrelationsResponse,
  EnvironmentsResponse,
  MoversResponse,
  ReleasesResponse,
  SpikesResponse,
  StatusResponse,
} from '../../analytics/model'
import type { passkeyView, userView } from '../../auth/model'
import type { ListQuery } from '../../errors/model'
import type { AggregateRow, EventRow, HistoryRow, IssueRow, Stats, TrendPoint } from '../../errors/queries'
import type { Scope } from '../../http/auth'
import type { IssueStatus } from '../../pipeline/commit'
import type { projectView } from '../../projects/model'
import type { tokenView } from '../../tokens/model'
import type { CommitTick } from '../stream'

export type {
  AggregateRow,
  ChannelConfig,
  ChannelView,
  CommitTick,
  CorrelationsResponse,
  DeliveryView,
  EnvironmentsResponse,
  HistoryRow,
  IssueStatus,
  MoversResponse,
  Outcome,
  ReleasesResponse,
  RuleConfig,
  RuleType,
  RuleView,
  Scope,
  SpikesResponse,
  Stats,
  StatusResponse,
  TrendPoint,
}

export type User = ReturnType<typeof userView>
export type AuthStatus = { setup_complete: boolean; user: User | null }
export type Passkey = ReturnType<typeof passkeyView>
export type Project = ReturnType<typeof projectView> & { dsn: string | null }
export type ProjectWithKey = Project & { api_key: string }
export type Token = ReturnType<typeof tokenView>
export type NewToken = Token & { token: string }
export type AdminUser = ReturnType<typeof adminUserView>
export type Invite = ReturnType<typeof inviteView>
export type NewInvite = Invite & { token: string; url: string }

export type IssueFilters = Partial<Omit<ListQuery, 'limit' | 'offset' | 'sort'>> & {
  sort?: ListQuery['sort']
  limit?: number
  offset?: number
  trend_hours?: number
}
export type Issue = IssueRow & { releases: string[]; environments: string[]; trend?: number[] }
export interface Page<T> {
  items: T[]
  total: number
  limit: number
  offset: number
}

type Event = Omit<EventRow, 'metadata'> & { metadata: unknown; symbolicated?: Symbolicated }
export type Sample = Event & { captured_at: number }
export type Occurrence = Event & { received_at: number }
export type IssueDetail = Issue & { aggregates: AggregateRow[]; samples: Sample[]; history: HistoryRow[] }
export interface StatusChange {
  project_id: string
  fingerprint: string
  status: IssueStatus
  previous_status: IssueStatus
}

export interface TestResult {
  channel_id: number | null
  channel_type: ChannelView['channel_type']
  target: string
  outcome: Outcome
  attempts: number
  status_code: number | null
  response: string | null
  error: string | null
  duration_ms: number
}

/** Symbolicated frames of a sample (the source-map feature; see sourcemaps/symbolicate.ts). */
export interface SourceContext {
  start_line: number
  pre: string[]
  line: string
  post: string[]
}
export interface SymbolicatedFrame {
  raw: string
  function: string | null
  file: string | null
  line: number | null
  column: number | null
  original: {
    file: string
    line: number
    column: number
    name: string | null
    function: string | null
    context: SourceContext | null
    sourcemap_id: number
  } | null
}
export interface Symbolicated {
  release: string
  frames: SymbolicatedFrame[]
  mapped_frames: number
}

/** Source maps and retention (issue 5): shapes of sourcemaps/model.ts and retention/service.ts. */
export interface SourceMap {
  id: number
  project_id: string
  release: string
  filename: string
  file: string | null
  size_bytes: number
  stored_bytes: number
  sha256: string
  uploaded_at: number
  uploaded_by: string | null
}

export interface RetentionReport {
  trigger: 'schedule' | 'purge'
  started_at: number
  finished_at: number
  duration_ms: number
  raw_events_deleted: number
  hourly_counts_deleted: number
  per_project: { project_id: string; raw_events_deleted: number }[]
  pages_freed: number
}

export interface RetentionView {
  global: {
    raw_events_days: number
    hourly_counts_days: number
    source: 'config' | 'admin'
    set_by: string | null
    updated_at: number
  }
  per_project: {
    project_id: string
    raw_events_days: number
    project_slug: string | null
    project_name: string | null
    set_by: string | null
    updated_at: number
  }[]
  storage: {
    db_size_bytes: number
    free_bytes: number
    wal_size_bytes: number
    raw_events_count: number
    hourly_counts_count: number
    oldest_raw_event_at: number | null
    rows: Record<string, number>
  }
  schedule: {
    prune_interval_secs: number
    prune_batch_size: number
    next_run_at: number | null
    last_run: RetentionReport | null
  }
}
