/**
 * The API's shapes as the dashboard reads them: `Static<typeof X>` of the TypeBox schemas
 * the routes declare (the same ones /openapi.json publishes), imported as types only, so
 * nothing of the server is bundled into the browser. A change of a response schema on the
 * server is a type error here.
 */
import type { Static } from '@sinclair/typebox'
import type { AdminUser, Invite, NewInvite as NewInviteSchema } from '../../admin/model'
import type {
  ChannelConfig,
  ChannelView,
  DeliveryView,
  Outcome,
  RuleConfig,
  RuleType,
  RuleView,
  TestResult,
} from '../../alerts/model'
import type {
  CorrelationsResponse,
  EnvironmentsResponse,
  MoversResponse,
  ReleasesResponse,
  SpikesResponse,
  StatusResponse,
} from '../../analytics/model'
import type { AuthStatus as AuthStatusSchema, Passkey, User } from '../../auth/model'
import type {
  Aggregate,
  HistoryEntry,
  IssueDetail as IssueDetailSchema,
  Issue as IssueSchema,
  ListQuery,
  Occurrence as OccurrenceSchema,
  Sample as SampleSchema,
  Stats as StatsSchema,
  StatusChange as StatusChangeSchema,
  StatusSchema,
  TagFacets,
  TrendPoint as TrendPointSchema,
} from '../../errors/model'
import type {
  ActivityEntry,
  Assignee as AssigneeSchema,
  BulkAction as BulkActionSchema,
  BulkResult as BulkResultSchema,
  Comment as CommentSchema,
  Settings as TriageSettingsSchema,
  UnmergeResult as UnmergeResultSchema,
} from '../../errors/triage.model'
import type { Scope } from '../../http/scopes'
import type { Project, ProjectWithKey as ProjectWithKeySchema } from '../../projects/model'
import type { RetentionView } from '../../retention/service'
import type { PassReport } from '../../retention/sweeper'
import type { SourceMapView } from '../../sourcemaps/model'
import type { SourceContext, Symbolicated, SymbolicatedFrame } from '../../sourcemaps/symbolicate'
import type { NewToken as NewTokenSchema, Token } from '../../tokens/model'
import type { CommitTick, LlmTick } from '../stream'

export type {
  AdminUser,
  ChannelConfig,
  ChannelView,
  CommitTick,
  CorrelationsResponse,
  DeliveryView,
  EnvironmentsResponse,
  Invite,
  LlmTick,
  MoversResponse,
  Outcome,
  Passkey,
  Project,
  ReleasesResponse,
  RetentionView,
  RuleConfig,
  RuleType,
  RuleView,
  Scope,
  SourceContext,
  SpikesResponse,
  StatusResponse,
  Symbolicated,
  SymbolicatedFrame,
  TestResult,
  Token,
  User,
}

export type AuthStatus = Static<typeof AuthStatusSchema>
export type ProjectWithKey = Static<typeof ProjectWithKeySchema>
export type NewToken = Static<typeof NewTokenSchema>
export type NewInvite = Static<typeof NewInviteSchema>
export type IssueStatus = Static<typeof StatusSchema>
export type Stats = Static<typeof StatsSchema>
export type TrendPoint = Static<typeof TrendPointSchema>
export type AggregateRow = Static<typeof Aggregate>
export type HistoryRow = Static<typeof HistoryEntry>
export type StatusChange = Static<typeof StatusChangeSchema>

export type IssueFilters = Partial<Omit<ListQuery, 'limit' | 'offset' | 'sort'>> & {
  sort?: ListQuery['sort']
  limit?: number
  offset?: number
  trend_hours?: number
}
/** An issue of a list; `symbolicated` of events is typed by the source-maps feature. */
export type Issue = Static<typeof IssueSchema>
export interface Page<T> {
  items: T[]
  total: number
  limit: number
  offset: number
}

type WithSymbols<E> = Omit<E, 'symbolicated'> & { symbolicated?: Symbolicated }
export type Sample = WithSymbols<Static<typeof SampleSchema>>
export type Occurrence = WithSymbols<Static<typeof OccurrenceSchema>>
export type IssueDetail = Omit<Static<typeof IssueDetailSchema>, 'samples'> & { samples: Sample[] }
export type TagFacet = Static<typeof TagFacets>[number]

export type SourceMap = SourceMapView
export type RetentionReport = PassReport

/** Triage (errors/triage.model.ts). */
export type Assignee = Static<typeof AssigneeSchema>
export type BulkAction = Static<typeof BulkActionSchema>
export type BulkResult = Static<typeof BulkResultSchema>
export type Comment = Static<typeof CommentSchema>
export type Activity = Static<typeof ActivityEntry>
export type TriageSettings = Static<typeof TriageSettingsSchema>
export type UnmergeResult = Static<typeof UnmergeResultSchema>
