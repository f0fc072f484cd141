/** Path patterns of the client routes; plain code, also read by the server (pages/routes.ts). */

/** Matches `/issues/:fp` style patterns; returns the decoded params or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/')
  const s = path.split('/')
  if (p.length !== s.length) return null
  const out: Record<string, string> = {}
  for (let i = 0; i < p.length; i++) {
    const want = p[i] as string
    const got = s[i] as string
    if (want.startsWith(':')) {
      if (got === '') return null
      out[want.slice(1)] = decodeURIComponent(got)
    } else if (want !== got) return null
  }
  return out
}
