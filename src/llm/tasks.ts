/**
 * The LLM feature's writer side: every write of traces, spans, rollups and the search
 * index is one of these tasks (src/writer.tasks.ts registers the table), seam tasks both:
 * the writer thread runs them in a SqliteBackend transaction, SeamWriter on PostgreSQL.
 * Nothing here imports HTTP code or an index.ts: the writer thread loads it.
 */
import type { ProjectDataTable } from '../core/feature'
import type { SeamPruneTask } from '../retention'
import { seamTask, type TaskTable } from '../storage/tasks'
import type { CommitItem, CommitResult } from './model'
import { commitItems } from './write/commit'
import { pruneTracesBatch, type TraceCursor } from './write/prune'

export const llmTasks = {
  /** One group commit of trace submissions and updates (the LLM BatchQueue's batches). */
  'llm.commit': seamTask((tx, a: { items: CommitItem[] }): Promise<CommitResult> => commitItems(tx, a.items)),
  /** Retention hook: traces past their project's window, with spans, scores, feedback and rollups. */
  'llm.pruneTraces': seamTask(pruneTracesBatch) satisfies SeamPruneTask<TraceCursor>,
} satisfies TaskTable

export type LlmTasks = typeof llmTasks

/** Rows of a deleted project, removed in this order (projects/tasks.ts). */
export const llmProjectData: readonly ProjectDataTable[] = [
  { table: 'llm_spans', key: ['seq'] },
  { table: 'llm_traces', key: ['seq'] },
  { table: 'llm_usage_hourly', key: ['project_id', 'hour', 'model', 'provider'] },
  { table: 'llm_trace_hourly', key: ['project_id', 'hour'] },
  { table: 'llm_scores', key: ['project_id', 'trace_id', 'name'] },
  { table: 'llm_feedback', key: ['project_id', 'trace_id', 'user_id'] },
  { table: 'llm_unknown_models', key: ['project_id', 'model', 'provider'] },
  { table: 'llm_pricing_overrides', key: ['id'] },
  { table: 'llm_settings', key: ['project_id'] },
]
