/**
 * Where the sign-in page may send a visitor once signed in (`?next=`): a path on this
 * origin, nothing else. The decision is made on the URL the browser would navigate to, not
 * on the string, because the URL parser rewrites the string first: it drops tabs and
 * newlines and reads "\" as "/", so "/\host" and "/<TAB>/host" both become "//host", a
 * link to another site. What is returned is the parsed path, so the page follows exactly
 * what was checked. Pure (the origin is passed in), so it is tested without a browser.
 */
export function safeNext(next: string | null, origin: string): string | null {
  // Only a path: no scheme (javascript:, data:, https:), no leading blank or backslash.
  if (next === null || !next.startsWith('/')) return null
  let url: URL
  try {
    url = new URL(next, origin)
  } catch {
    return null
  }
  if (url.origin !== origin) return null
  // "/.//host" resolves to the path "//host", which would leave the site if followed as is.
  if (url.pathname.startsWith('//')) return null
  return url.pathname + url.search + url.hash
}
