/**
 * `/v1/proxy/{provider}/{*path}`, every method: the zero-instrumentation LLM proxy
 * (handler.ts). The body is left unread by Elysia (`parse: 'none'`): the handler forwards
 * it, reading it only for the calls it traces. The call's project comes from the `key`
 * declaration (src/http/access.ts): X-Bloop-Key holding a project key or an llm:write token.
 */
import { Elysia } from 'elysia'
import type { Config } from '../../config/schema'
import type { Core } from '../../core/feature'
import { access } from '../../http/access'
import { RateLimiter } from '../../http/ratelimit'
import type { LlmIntake } from '../ingest/intake'
import { proxyCall } from './handler'
import { onFailure } from './later'
import { proxyMetrics } from './metrics'
import { traceRecorder } from './recorder'
import { upstreamTable } from './upstreams'

export interface ProxyRouteDeps
  extends Pick<
    Core,
    'backend' | 'guard' | 'now' | 'idleTimeout' | 'draining' | 'log' | 'metrics' | 'clientIp'
  > {
  config: Pick<Config, 'llm_tracing'>
  intake: LlmIntake
}

export function proxyRoutes(d: ProxyRouteDeps) {
  const metrics = proxyMetrics(d.metrics.registry)
  onFailure((err) => d.log.error('proxy: deferred work failed', { error: err as Error }))
  const deps = {
    ...d,
    upstreams: upstreamTable(d.config.llm_tracing.proxy),
    metrics,
    record: traceRecorder({ intake: d.intake, metrics, log: d.log, limits: d.config.llm_tracing }),
    // Refused keys get the budget of refused sign-ins (rate_limit.auth_* defaults): 5 a
    // second, 10 at once, per client address.
    refusedKeys: new RateLimiter(5, 10, d.now),
  }
  return new Elysia({ name: 'llm-proxy' })
    .use(access(d.guard))
    .all('/v1/proxy/*', ({ request, projectId }) => proxyCall(deps, request, projectId), {
      parse: 'none',
      // X-Bloop-Key, since Authorization carries the provider's key, passed through untouched.
      key: {
        header: 'x-bloop-key',
        label: 'X-Bloop-Key',
        scope: 'llm:write',
        missing:
          'the proxy needs X-Bloop-Key: <project key> (or an API token with llm:write); llm_tracing.proxy.allow_anonymous is false',
        anonymous: () => d.config.llm_tracing.proxy.allow_anonymous,
        brake: deps.refusedKeys,
      },
    })
}
