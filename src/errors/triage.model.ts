/** Request and response shapes of the triage API (triage.routes.ts). */
import { Type as T, type TSchema } from '@sinclair/typebox'
import { MAX_COMMENT_CHARS } from './comments'
import { MAX_TEMPLATE_CHARS } from './tracker'

/** At most this many fingerprints in one explicit list (bulk actions, merge, unmerge). */
export const MAX_BULK_IDS = 500
/** Issues per writer task of a bulk action, so a large selection never holds the writer long. */
export const BULK_BATCH = 200
/** At most this many issues in one "all matching" bulk action. */
export const MAX_BULK_MATCHING = 10_000

const FingerprintParam = T.String({ minLength: 1, maxLength: 128 })
const Nullable = <S extends TSchema>(s: S) => T.Union([s, T.Null()])
const Str = T.String()
const Ms = T.Integer({ description: 'epoch milliseconds' })

export const BulkAction = T.Union([
  T.Literal('resolve'),
  T.Literal('resolve_next'),
  T.Literal('ignore'),
  T.Literal('mute'),
  T.Literal('unresolve'),
  T.Literal('assign'),
  T.Literal('merge'),
])

const Fingerprints = T.Array(FingerprintParam, { minItems: 1, maxItems: MAX_BULK_IDS })
const UserRef = T.String({ minLength: 1, maxLength: 128, description: 'a user id or username' })

export const BulkBody = T.Object(
  {
    action: BulkAction,
    /** The issues, by fingerprint (at most MAX_BULK_IDS); or `matching`. */
    fingerprints: T.Optional(Fingerprints),
    /** Every issue matching this issue-list query string, as `GET /v1/errors?...` takes it
     * (e.g. `status=unresolved&release=1.2.0`); at most MAX_BULK_MATCHING issues. */
    matching: T.Optional(T.String({ maxLength: 4096 })),
    project_id: T.Optional(T.String({ minLength: 1, maxLength: 128 })),
    /** For `assign`: the user, or null to unassign. */
    assignee: T.Optional(Nullable(UserRef)),
    /** For `merge`: the issue the others are merged into. */
    target: T.Optional(FingerprintParam),
  },
  { additionalProperties: false },
)

export const BulkResult = T.Object({
  action: BulkAction,
  /** Issues the action was applied to. */
  matched: T.Integer(),
  /** Issues it changed (an issue already in that state is matched, not changed). */
  changed: T.Integer(),
})

export const UnmergeBody = T.Object(
  { fingerprints: Fingerprints, project_id: T.Optional(T.String({ minLength: 1, maxLength: 128 })) },
  { additionalProperties: false },
)
export const UnmergeResult = T.Object({
  unmerged: T.Array(T.Object({ fingerprint: Str, target: Str })),
})

export const AssignBody = T.Object({ assignee: Nullable(UserRef) }, { additionalProperties: false })
export const Assignee = T.Object({ id: Str, username: Str })
export const Assignees = T.Array(Assignee)
export const AssignResult = T.Object({ project_id: Str, fingerprint: Str, assignee: Nullable(Assignee) })

export const CommentBody = T.Object(
  { body: T.String({ minLength: 1, maxLength: MAX_COMMENT_CHARS }) },
  { additionalProperties: false },
)
export const Comment = T.Object({
  id: T.Integer(),
  project_id: Str,
  fingerprint: Str,
  author_id: Str,
  author: Str,
  body: Str,
  created_at: Ms,
})
export const Comments = T.Array(Comment)
export const CommentParams = T.Object({
  fingerprint: FingerprintParam,
  id: T.String({ pattern: '^[0-9]{1,15}$' }),
})
export const CommentDeleted = T.Object({ deleted: T.Integer() })

export const ActivityEntry = T.Object({
  id: T.Integer(),
  kind: Str,
  fingerprint: Str,
  actor: Str,
  at: Ms,
  detail: T.Record(T.String(), T.Unknown()),
})

export const Settings = T.Object({
  project_id: Str,
  /** e.g. `https://github.com/acme/app/issues/new?title={title}&body={url}`; null: no link. */
  tracker_template: Nullable(Str),
})
export const SettingsBody = T.Object(
  { tracker_template: Nullable(T.String({ maxLength: MAX_TEMPLATE_CHARS })) },
  { additionalProperties: false },
)

/** What the issue detail adds for triage. */
export const TriageFields = {
  assignee: Nullable(Assignee),
  /** The issue this one is merged into, or null. */
  merged_into: Nullable(Str),
  /** Fingerprints merged into this issue. */
  merged: T.Array(Str),
  /** Set when resolved in the next release: the release current at resolution. */
  resolved_in_release: Nullable(Str),
  /** The first and the latest release the issue was seen in (by first sighting). */
  first_release: Nullable(Str),
  last_release: Nullable(Str),
  /** When the issue reopened as a regression, oldest first. */
  regressions: T.Array(Ms),
  /** The project's tracker template rendered for this issue, or null. */
  tracker_url: Nullable(Str),
  activity: T.Array(ActivityEntry),
  comments: Comments,
}
