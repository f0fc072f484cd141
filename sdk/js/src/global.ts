/**
 * The module-level API over one default client, so an app calls `init()` once and
 * `captureException()` anywhere. Before `init()` (or after `close()`) every call is a
 * no-op: a library that reports errors must not make the app depend on its set-up order.
 */
import type { Breadcrumb, CaptureContext, Client, Level } from './client'
import type { Span, SpanOptions, Trace, TraceOptions } from './tracing'
import * as tracing from './tracing'

let current: Client | undefined

/** Makes `client` the default one (the previous default is closed). */
export function setClient(client: Client): Client {
  const previous = current
  current = client
  if (previous && previous !== client) void previous.close(2000)
  return client
}

export function getClient(): Client | undefined {
  return current
}

export const captureException = (err: unknown, ctx?: CaptureContext): void =>
  current?.captureException(err, ctx)
export const captureMessage = (message: string, ctx?: CaptureContext | Level): void =>
  current?.captureMessage(message, ctx)
export const addBreadcrumb = (crumb: Breadcrumb): void => current?.addBreadcrumb(crumb)
export const setUser = (id: string | number | null): void => current?.setUser(id)
export const setTag = (key: string, value: string): void => current?.setTag(key, value)
export const setTags = (tags: Record<string, string>): void => current?.setTags(tags)
export const setContext = (key: string, value: unknown): void => current?.setContext(key, value)
export const setRoute = (route: string | null): void => current?.setRoute(route)
export const setScreen = (screen: string | null): void => current?.setScreen(screen)
export const flush = (timeoutMs?: number): Promise<boolean> =>
  current?.flush(timeoutMs) ?? Promise.resolve(true)
export async function close(timeoutMs?: number): Promise<boolean> {
  const c = current
  current = undefined
  return c ? c.close(timeoutMs) : true
}

function requireClient(): Client {
  if (!current) throw new Error('bloop: call init() before starting traces')
  return current
}

/** The span current in this async context (Node/Bun), if any. */
export const activeSpan = (): Span | undefined => current?.context.active()
export const startTrace = (o?: TraceOptions, client = requireClient()): Trace => tracing.startTrace(client, o)
export const startSpan = (o?: SpanOptions, client = requireClient()): Span => tracing.startSpan(client, o)
export const withTrace = <R>(o: TraceOptions, fn: (span: Span) => R, client = requireClient()): R =>
  tracing.withTrace(client, o, fn)
export const withSpan = <R>(o: SpanOptions, fn: (span: Span) => R, client = requireClient()): R =>
  tracing.withSpan(client, o, fn)
/** A generation span around `fn`: record usage with `span.end({usage})` or let it end. */
export const traceGeneration = <R>(
  o: Omit<SpanOptions, 'spanType'>,
  fn: (span: Span) => R,
  client = requireClient(),
): R => tracing.withSpan(client, { ...o, spanType: 'generation' }, fn)
