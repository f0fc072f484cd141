/**
 * The runtime-neutral entry: Deno, edge workers (Cloudflare, Vercel), service workers and
 * anything else with fetch and Web Crypto. It installs no global handlers (those runtimes
 * have none in common); capture explicitly and keep the request alive until
 * `flush()` resolves (`ctx.waitUntil(flush())` in a worker).
 */
import { Client, type Options } from './client'
import { setClient } from './global'

export type { OfflineStorage } from './channel'
export { type Breadcrumb, type CaptureContext, Client, type Level, type Options, SDK_VERSION } from './client'
export type { BloopEvent, Caps } from './event'
export * from './global'
export type { Signer } from './hmac'
export {
  type ContextManager,
  Span,
  type SpanEnd,
  type SpanOptions,
  type SpanType,
  type SpanWire,
  Trace,
  type TraceEnd,
  type TraceOptions,
  type TraceWire,
  type Usage,
} from './tracing'

export function init(options: Options): Client {
  return setClient(new Client(options))
}
