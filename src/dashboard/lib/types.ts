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
import type { IssueStatus } from '../../errors/commit'
import type { ListQuery } from '../../errors/model'
import type { AggregateRow, EventRow, HistoryRow, IssueRow, Stats, TrendPoint } from '../../errors/queries'
import type { Scope } from '../../http/auth'
import type { projectView } from '../../projects/model'
import type { RetentionView } from '../../retention/service'
import type { PassReport } from '../../retention/sweeper'
import type { SourceMapView } from '../../sourcemaps/model'
import type { SourceContext, Symbolicated, SymbolicatedFrame } from '../../sourcemaps/symbolicate'
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
  RetentionView,
  RuleConfig,
  RuleType,
  RuleView,
  Scope,
  SourceContext,
  SpikesResponse,
  Stats,
  StatusResponse,
  Symbolicated,
  SymbolicatedFrame,
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
  error: string | null
  duration_ms: number
}

export type SourceMap = SourceMapView
export type RetentionReport = PassReport
