/**
 * The triage writer tasks (docs/decisions.md, "Triage"), on the storage seam: status
 * changes (one issue, or a bulk action's batch of at most BULK_BATCH), assignment, merge
 * and unmerge, comments. Each runs in the writer's one transaction of its backend (the
 * writer thread's SqliteBackend, or SeamWriter on PostgreSQL) and commits when it resolves
 * (docs/ARCHITECTURE.md, "Converting a writer task"). tasks.ts spreads this table into the
 * feature's; nothing here imports HTTP code, because the writer thread loads it.
 */
import { seamTask } from '../storage/tasks'
import { type AssignArgs, assignIssues } from './assign'
import { addComment, deleteComment } from './comments'
import { type MergeArgs, mergeIssues, type UnmergeArgs, unmergeIssues } from './merge'
import { type IssueRef, type StatusArgs, setIssueStatus, setIssueStatuses } from './status'

export const triageTasks = {
  'errors.setStatus': seamTask((tx, a: IssueRef & StatusArgs) => setIssueStatus(tx, a)),
  /** A bulk action's batch of status changes (triage.routes.ts sends at most BULK_BATCH per task). */
  'errors.setStatuses': seamTask((tx, a: StatusArgs & { items: IssueRef[] }) => setIssueStatuses(tx, a)),
  'errors.assign': seamTask((tx, a: AssignArgs) => assignIssues(tx, a)),
  'errors.merge': seamTask((tx, a: MergeArgs) => mergeIssues(tx, a)),
  'errors.unmerge': seamTask((tx, a: UnmergeArgs) => unmergeIssues(tx, a)),
  'errors.comment': seamTask(
    (tx, a: IssueRef & { author_id: string; author: string; body: string; now: number }) => addComment(tx, a),
  ),
  'errors.deleteComment': seamTask(
    (tx, a: IssueRef & { id: number; author_id: string | null; actor: string; now: number }) =>
      deleteComment(tx, a),
  ),
}
