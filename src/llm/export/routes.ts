/**
 * GET /v1/llm/export/langsmith: stored traces as LangSmith runs (src/llm/export/langsmith.ts
 * says how a trace becomes runs).
 *
 * Parameters: `hours` (1-720, default 24: traces started in the window), or `trace_ids`
 * (comma-separated, at most 100: those traces, no window); `project_id` (id or slug; a
 * token's own project by default, every project a signed-in user sees otherwise); paging by
 * trace with `limit` (1-1000, default 100) and `offset`. The answer is
 * `{"runs": [...], "count": <runs>, "traces": <traces>, "next_offset": <offset or null>}`.
 *
 * Streamed: traces are read and turned into runs one at a time while the body is sent, so a
 * page of a thousand traces with their spans never sits in memory as one document. Access is
 * `llm:read`; only projects the caller may see are read.
 */
import { Type as T } from '@sinclair/typebox'
import { Elysia } from 'elysia'
import type { Core } from '../../core/feature'
import { access as declared } from '../../http/access'
import { AppError } from '../../http/errors'
import { Offset, parseQuery, QueryInt } from '../../http/validate'
import { traceToRuns } from './langsmith'
import { tracePage, traceSpans } from './store'

export const MAX_EXPORT_TRACE_IDS = 100
const HOUR_MS = 3_600_000

const ExportQuery = T.Object({
  hours: QueryInt({ minimum: 1, maximum: 720, default: 24 }),
  trace_ids: T.Optional(T.String({ maxLength: 100 * 130 })),
  project_id: T.Optional(T.String({ maxLength: 200 })),
  limit: QueryInt({ minimum: 1, maximum: 1000, default: 100 }),
  offset: Offset,
})

export type ExportDeps = Pick<Core, 'backend' | 'guard' | 'now' | 'metrics'>

export function exportRoutes(d: ExportDeps) {
  const exported = d.metrics.registry.counter(
    'bloop_llm_export_runs_total',
    'Runs sent by the LangSmith export (one per span plus one per trace).',
  )
  return new Elysia({ name: 'llm-export' }).use(declared(d.guard)).get(
    '/v1/llm/export/langsmith',
    async ({ access: reach, query }) => {
      const q = parseQuery(ExportQuery, query)
      const access = reach.narrow(q.project_id ?? null)
      let traceIds: string[] | null = null
      if (q.trace_ids !== undefined) {
        traceIds = [...new Set(q.trace_ids.split(',').map((s) => s.trim()))].filter((s) => s !== '')
        if (traceIds.length === 0)
          throw new AppError(
            'invalid_query',
            'query parameter trace_ids: expected comma-separated trace ids',
            {
              field: 'trace_ids',
            },
          )
        if (traceIds.length > MAX_EXPORT_TRACE_IDS)
          throw new AppError(
            'invalid_query',
            `query parameter trace_ids: ${traceIds.length} ids; the maximum is ${MAX_EXPORT_TRACE_IDS} (page by time window instead)`,
            { field: 'trace_ids' },
          )
      }
      const traces = await tracePage(d.backend, {
        projectIds: access.projectIds,
        since: d.now() - q.hours * HOUR_MS,
        traceIds,
        limit: q.limit,
        offset: q.offset,
      })
      const nextOffset = traces.length === q.limit ? q.offset + q.limit : null
      const encoder = new TextEncoder()
      let at = 0
      let runs = 0
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(encoder.encode('{"runs":['))
        },
        async pull(controller) {
          const t = traces[at]
          if (t === undefined) {
            const tail = `],"count":${runs},"traces":${traces.length},"next_offset":${nextOffset}}`
            controller.enqueue(encoder.encode(tail))
            controller.close()
            exported.inc({}, runs)
            return
          }
          const list = traceToRuns(t, await traceSpans(d.backend, t.project_id, t.id))
          const chunk = list.map((r, i) => (runs + i === 0 ? '' : ',') + JSON.stringify(r)).join('')
          runs += list.length
          at++
          controller.enqueue(encoder.encode(chunk))
        },
      })
      return new Response(body, { headers: { 'content-type': 'application/json' } })
    },
    { scope: 'llm:read' },
  )
}
