/**
 * The browser entry: everything in index.ts plus automatic capture of `error` and
 * `unhandledrejection`, the page's path as the route, an offline queue in localStorage,
 * and a flush with keepalive requests when the page is hidden (tab switch, navigation,
 * close). Keepalive fetch, not sendBeacon: a beacon cannot carry the X-Signature header
 * the server authenticates with, and keepalive requests survive the page the same way.
 */
import type { OfflineStorage } from './channel'
import { Client, type Options } from './client'
import { setClient } from './global'

export * from './index'

function localStore(): OfflineStorage | undefined {
  try {
    const s = globalThis.localStorage
    const probe = 'bloop:probe'
    s.setItem(probe, '1')
    s.removeItem(probe)
    return s
  } catch {
    // Private mode, sandboxed iframes and disabled storage: run without an offline queue.
    return undefined
  }
}

export function init(options: Options): Client {
  const w = globalThis as unknown as Window
  const client = setClient(
    new Client({
      source: 'javascript',
      storage: options.storage === undefined ? localStore() : options.storage,
      routeProvider: () => w.location?.pathname,
      ...options,
    }),
  )
  if (options.autoCapture === false || typeof w.addEventListener !== 'function') return client
  w.addEventListener('error', (e: ErrorEvent) => {
    // A resource that failed to load fires `error` without an Error; it is not a crash.
    if (!e.error && !e.message) return
    client.captureException(e.error ?? e.message, { mechanism: { type: 'onerror', handled: false } })
  })
  w.addEventListener('unhandledrejection', (e: PromiseRejectionEvent) => {
    client.captureException(e.reason, { mechanism: { type: 'onunhandledrejection', handled: false } })
  })
  const hide = () => void client.flushWith(2000, true)
  w.addEventListener('pagehide', hide)
  w.document?.addEventListener('visibilitychange', () => {
    if (w.document.visibilityState === 'hidden') hide()
  })
  return client
}
