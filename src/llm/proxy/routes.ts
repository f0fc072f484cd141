/**
 * `/v1/proxy/{provider}/{*path}`, every method: the zero-instrumentation LLM proxy
 * (handler.ts). The body is left unread by Elysia (`parse: 'none'`): the handler forwards
 * it, reading it only for the calls it traces.
 */
import { Elysia } from 'elysia'
import type { Config } from '../../config/schema'
import type { Core } from '../../core/feature'
import { RateLimiter } from '../../http/ratelimit'
import type { LlmIntake } from '../ingest/intake'
import { proxyCall } from './handler'
import { proxyMetrics } from './metrics'
import { upstreamTable } from './upstreams'

export interface ProxyRouteDeps
  extends Pick<Core, 'db' | 'guard' | 'now' | 'idleTimeout' | 'draining' | 'log' | 'metrics' | 'clientIp'> {
  config: Pick<Config, 'llm_tracing'>
  intake: LlmIntake
}

export function proxyRoutes(d: ProxyRouteDeps) {
  const deps = {
    ...d,
    upstreams: upstreamTable(d.config.llm_tracing.proxy),
    metrics: proxyMetrics(d.metrics.registry),
    // Refused keys get the budget of refused sign-ins (rate_limit.auth_* defaults): 5 a
    // second, 10 at once, per client address.
    refusedKeys: new RateLimiter(5, 10, d.now),
  }
  return new Elysia({ name: 'llm-proxy' }).all('/v1/proxy/*', ({ request }) => proxyCall(deps, request), {
    parse: 'none',
  })
}
