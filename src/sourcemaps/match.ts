/**
 * Which uploaded map belongs to a stack frame's script, pure.
 *
 * A frame names its script by URL or path (`https://cdn.example.com/assets/app.min.js?v=3`,
 * `file:///srv/app/dist/app.js`, `app:///index.android.bundle`, `index.android.bundle`).
 * A map is known by the name it was uploaded under minus `.map` (`assets/app.min.js.map`)
 * and by its own `file` field (`app.min.js`). Both sides are reduced to path segments
 * (scheme, host, query and fragment dropped) and compared from the end: the file names
 * must be equal, and every further matching directory makes the match stronger. So
 * `assets/app.min.js.map` beats `app.min.js.map` for `/assets/app.min.js`, and a map
 * uploaded as `dist/app.min.js.map` still matches `/static/app.min.js` by file name when
 * nothing closer exists. Ties go to the newest upload.
 */

export interface MapRef {
  id: number
  filename: string
  map_file: string | null
  uploaded_at: number
}

/** Path segments of a URL or path, without scheme, host, query, fragment, `.` or `~`. */
export function pathSegments(urlOrPath: string): string[] {
  let p = urlOrPath.trim()
  const scheme = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(p)
  if (scheme) p = p.slice(scheme[0].length)
  p = p.replace(/[?#].*$/, '').replaceAll('\\', '/')
  try {
    p = decodeURI(p)
  } catch {
    // A malformed escape is kept as written.
  }
  return p.split('/').filter((seg) => seg !== '' && seg !== '.' && seg !== '~')
}

/** Names a map is known by, as segment lists: the upload name minus `.map`, and its `file` field. */
export function mapNames(ref: MapRef): string[][] {
  const names = [pathSegments(ref.filename.replace(/\.map$/i, ''))]
  if (ref.map_file) names.push(pathSegments(ref.map_file))
  return names.filter((n) => n.length > 0)
}

/** Number of equal segments counted from the end (0 when the file names differ). */
function commonSuffix(a: string[], b: string[]): number {
  let n = 0
  while (n < a.length && n < b.length && a[a.length - 1 - n] === b[b.length - 1 - n]) n++
  return n
}

/** The map for `file`, or null when none carries its file name. */
export function matchMap<M extends MapRef>(file: string, maps: readonly M[]): M | null {
  const frame = pathSegments(file)
  if (frame.length === 0) return null
  let best: M | null = null
  let bestScore = 0
  for (const m of maps) {
    let score = 0
    for (const name of mapNames(m)) {
      const common = commonSuffix(frame, name)
      if (common === 0) continue
      // A name matched in full (all its directories present in the URL) outranks a partial one.
      const s = common * 2 + (common === name.length ? 1 : 0)
      if (s > score) score = s
    }
    if (
      score > bestScore ||
      (score > 0 &&
        score === bestScore &&
        best &&
        (m.uploaded_at > best.uploaded_at || (m.uploaded_at === best.uploaded_at && m.id > best.id)))
    ) {
      best = m
      bestScore = score
    }
  }
  return best
}
