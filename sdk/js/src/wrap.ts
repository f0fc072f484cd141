/**
 * Shared machinery of the provider wrappers (openai.ts, anthropic.ts): intercepting a
 * method of a nested resource without changing what the app gets back.
 *
 * The clients return an "API promise" with extra methods (withResponse, asResponse) and,
 * for streams, an async-iterable Stream object. The wrapper returns that same object: it
 * only attaches an observer (`.then`) for the result and, for a stream, replaces the
 * Stream's own async iterator with one that passes every chunk through unchanged while
 * it accumulates text, usage and the time to the first token.
 */
import type { Client } from './client'
import { getClient } from './global'
import { type Span, type SpanEnd, type SpanOptions, startSpan } from './tracing'

export interface WrapOptions {
  /** The client to record into; the default one (init()) otherwise. */
  bloop?: Client
  /** Provider name recorded on spans; by default from the client's base URL. */
  provider?: string
  /** Parent span for every call; by default the current span (Node/Bun). */
  parent?: Span
}

const HOSTS: [RegExp, string][] = [
  [/(^|\.)openai\.com$/, 'openai'],
  [/(^|\.)anthropic\.com$/, 'anthropic'],
  [/(^|\.)minimax(i)?\.(chat|io)$/, 'minimax'],
  [/(^|\.)moonshot\.(cn|ai)$/, 'kimi'],
  [/(^|\.)googleapis\.com$/, 'google'],
]

export function providerOf(baseURL: unknown, fallback: string): string {
  if (typeof baseURL !== 'string') return fallback
  try {
    const host = new URL(baseURL).hostname
    for (const [re, name] of HOSTS) if (re.test(host)) return name
    return host || fallback
  } catch {
    return fallback
  }
}

export interface StreamObserver<C> {
  /** Called for every chunk; returns true when the chunk carried the first output token. */
  chunk(c: C): boolean
  /** The span's end fields once the stream is done. */
  done(): SpanEnd
}

export interface CallRecorder<P, R, C> {
  span(params: P): SpanOptions
  result(res: R): SpanEnd
  stream(params: P): StreamObserver<C>
}

type AnyFn = (...args: unknown[]) => unknown

/** Replaces `target[method]` on a proxy view of `resource`; every other member passes through. */
export function interceptMethod<T extends object>(
  resource: T,
  method: string,
  replacement: (orig: AnyFn) => AnyFn,
): T {
  const original = (resource as Record<string, unknown>)[method]
  if (typeof original !== 'function') return resource
  const bound = (original as AnyFn).bind(resource)
  const wrapped = replacement(bound)
  return passThrough(resource, method, wrapped)
}

/**
 * A proxy of `target` whose `key` reads `value`. Everything else is read from the target
 * itself, and its methods are bound to it: the clients keep private state keyed by the
 * real instance, which a method called with the proxy as `this` could not reach.
 */
function passThrough<T extends object>(target: T, key: PropertyKey, value: unknown): T {
  const bound = new Map<PropertyKey, unknown>()
  return new Proxy(target, {
    get(t, k) {
      if (k === key) return value
      const v = Reflect.get(t, k, t)
      if (typeof v !== 'function') return v
      let b = bound.get(k)
      if (!b) {
        b = (v as AnyFn).bind(t)
        bound.set(k, b)
      }
      return b
    },
  })
}

/** A nested resource (`client.chat.completions`) replaced by `fn(resource)`. */
export function interceptPath<T extends object>(root: T, path: string[], fn: (leaf: object) => object): T {
  const [head, ...rest] = path
  if (head === undefined) return fn(root) as T
  const child = (root as Record<string, unknown>)[head]
  if (typeof child !== 'object' || child === null) return root
  return passThrough(root, head, interceptPath(child as object, rest, fn))
}

/** Wraps a create(params, options) call with a span. */
export function recordCall<P extends { stream?: unknown }, R, C>(
  o: WrapOptions,
  recorder: CallRecorder<P, R, C>,
): (orig: AnyFn) => AnyFn {
  return (orig) =>
    (...args: unknown[]) => {
      const client = o.bloop ?? getClient()
      const params = (args[0] ?? {}) as P
      let span: Span | undefined
      try {
        if (client)
          span = startSpan(client, { ...recorder.span(params), ...(o.parent ? { parent: o.parent } : {}) })
      } catch {
        span = undefined
      }
      let out: unknown
      try {
        out = orig(...args)
      } catch (err) {
        span?.fail(err)
        throw err
      }
      if (!span || !out || typeof (out as PromiseLike<unknown>).then !== 'function') return out
      const s = span
      const started = client?.now() ?? Date.now()
      ;(out as PromiseLike<unknown>).then(
        (res) => {
          try {
            if (params.stream && res && typeof res === 'object' && Symbol.asyncIterator in res) {
              observeStream(
                res as AsyncIterable<C>,
                recorder.stream(params),
                s,
                started,
                client?.now ?? Date.now,
              )
            } else s.end(recorder.result(res as R))
          } catch {
            s.end()
          }
        },
        (err: unknown) => s.fail(err),
      )
      return out
    }
}

function observeStream<C>(
  stream: AsyncIterable<C>,
  obs: StreamObserver<C>,
  span: Span,
  started: number,
  now: () => number,
): void {
  const original = stream[Symbol.asyncIterator].bind(stream)
  let ttft: number | undefined
  Object.defineProperty(stream, Symbol.asyncIterator, {
    configurable: true,
    value: () => {
      const it = original()
      const finish = (err?: unknown) => {
        if (span.ended) return
        const end = { ...obs.done() }
        if (ttft !== undefined) end.timeToFirstTokenMs = ttft
        if (err !== undefined) {
          end.status = 'error'
          end.errorMessage = err instanceof Error ? err.message : String(err)
        }
        span.end(end)
      }
      return {
        async next(...a: [] | [unknown]) {
          try {
            const r = await it.next(...a)
            if (r.done) finish()
            else {
              try {
                if (obs.chunk(r.value) && ttft === undefined) ttft = Math.max(0, now() - started)
              } catch {}
            }
            return r
          } catch (err) {
            finish(err)
            throw err
          }
        },
        async return(v?: unknown) {
          // The app stopped reading early: record what arrived, as a completed call.
          finish()
          return it.return ? it.return(v) : { done: true, value: v }
        },
        async throw(e?: unknown) {
          finish(e)
          if (it.throw) return it.throw(e)
          throw e
        },
        [Symbol.asyncIterator]() {
          return this
        },
      } as AsyncIterator<C>
    },
  })
}
