/**
 * Client-side routing with the history API. The current location is a signal; pages read
 * `route.value` and re-render when it changes. Same-origin links are intercepted once,
 * globally (`interceptLinks`), so pages use plain `<a href>`: middle-click, copy link and
 * open-in-new-tab keep working. Filters live in the query string, so a view can be shared
 * and survives a reload.
 */
import { signal } from '@preact/signals'

export interface Route {
  path: string
  query: URLSearchParams
}

const read = (): Route => ({ path: location.pathname, query: new URLSearchParams(location.search) })

export const route = signal<Route>(read())

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  const url = new URL(to, location.href)
  const target = url.pathname + url.search + url.hash
  if (target === location.pathname + location.search + location.hash) return
  if (opts.replace) history.replaceState(null, '', target)
  else history.pushState(null, '', target)
  route.value = read()
  if (!opts.replace) window.scrollTo(0, 0)
}

/** Sets or clears query parameters of the current path (empty values are removed). */
export function setQuery(patch: Record<string, string | null | undefined>, opts = { replace: true }): void {
  const q = new URLSearchParams(location.search)
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || v === undefined || v === '') q.delete(k)
    else q.set(k, v)
  }
  const text = q.toString()
  navigate(location.pathname + (text ? `?${text}` : ''), opts)
}

/** Builds `path?query` from pairs, leaving out empty values. */
export function href(path: string, query: Record<string, string | null | undefined> = {}): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v) q.set(k, v)
  const text = q.toString()
  return text ? `${path}?${text}` : path
}

export function interceptLinks(root: HTMLElement): void {
  window.addEventListener('popstate', () => {
    route.value = read()
  })
  root.addEventListener('click', (ev) => {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return
    const a = (ev.target as Element).closest('a')
    if (!a || a.target || a.hasAttribute('download') || a.dataset.reload !== undefined) return
    const url = new URL(a.href, location.href)
    if (url.hash && url.pathname === location.pathname && url.search === location.search) return
    if (
      url.origin !== location.origin ||
      url.pathname.startsWith('/auth/') ||
      url.pathname.startsWith('/v1/')
    )
      return
    ev.preventDefault()
    navigate(url.pathname + url.search + url.hash)
  })
}
