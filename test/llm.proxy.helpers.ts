/** A real bloop server on loopback in front of the fake upstream, and reads of what it stored. */
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { testConfig } from '../src/config/load'
import type { Config } from '../src/config/schema'
import { memoryLogger } from '../src/ops/log'
import { type Served, serve } from '../src/server'
import type { Overrides } from './helpers'

type LlmConfig = Config['llm_tracing']
export type BloopOverrides = Omit<Overrides, 'llm_tracing'> & {
  llm_tracing?: Partial<Omit<LlmConfig, 'proxy'>> & { proxy?: Partial<LlmConfig['proxy']> }
}

import { TEST_SECRET, tempDir } from './helpers'

/** The provider key the clients send: it must never be stored or logged. */
export const PROVIDER_KEY = 'sk-proj-PROVIDER0KEY0never0stored0Zq81xW'

export interface Bloop {
  served: Served
  url: string
  dir: string
  log: ReturnType<typeof memoryLogger>
  /** The default project's key (X-Bloop-Key). */
  key: string
  stop(): Promise<void>
}

export async function serveBloop(upstream: string, over: BloopOverrides = {}): Promise<Bloop> {
  const dir = tempDir('bloop-proxy-')
  const log = memoryLogger('debug')
  const served = await serve(
    testConfig({
      ...over,
      server: { host: '127.0.0.1', port: 0 },
      database: { path: join(dir, 'bloop.db') },
      auth: { hmac_secret: TEST_SECRET },
      llm_tracing: {
        default_content_storage: 'full',
        ...over.llm_tracing,
        proxy: {
          openai_base_url: `${upstream}/v1`,
          anthropic_base_url: upstream,
          ...over.llm_tracing?.proxy,
        },
      },
    } as Overrides),
    { log },
  )
  return {
    served,
    url: `http://127.0.0.1:${served.port}`,
    dir,
    log,
    key: served.runtime.features.projects.defaultProject.api_key,
    async stop() {
      await served.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export interface SpanRow {
  project_id: string
  trace_id: string
  id: string
  parent_span_id: string | null
  span_type: string
  name: string
  model: string | null
  provider: string | null
  status: string
  error_message: string | null
  input: string | null
  output: string | null
  metadata: string | null
  latency_ms: number | null
  time_to_first_token_ms: number | null
  input_tokens: number | null
  output_tokens: number | null
  cache_read_tokens: number | null
  cache_write_tokens: number | null
  reasoning_tokens: number | null
  cost_micros: number | null
  cost_source: string
}

/** The spans of a trace, once `count` of them are committed (the proxy records after the response). */
export async function spansOf(b: Bloop, traceId: string, count = 1): Promise<SpanRow[]> {
  const db = b.served.runtime.core.db
  for (let i = 0; i < 250; i++) {
    const rows = db
      .query<SpanRow, [string]>('SELECT * FROM llm_spans WHERE trace_id = ? ORDER BY started_at, seq')
      .all(traceId)
    if (rows.length >= count) return rows
    await Bun.sleep(20)
  }
  throw new Error(`trace ${traceId} has no ${count} committed span(s) after 5 s`)
}

export async function spanOf(b: Bloop, traceId: string | null): Promise<SpanRow> {
  if (!traceId) throw new Error('expected an X-Bloop-Trace-Id header, got none')
  return (await spansOf(b, traceId))[0] as SpanRow
}

export function traceRow(b: Bloop, traceId: string): Record<string, unknown> | null {
  return b.served.runtime.core.db
    .query<Record<string, unknown>, [string]>('SELECT * FROM llm_traces WHERE id = ?')
    .get(traceId)
}

export const meta = (s: SpanRow) => JSON.parse(s.metadata ?? '{}') as { proxy: Record<string, unknown> }
