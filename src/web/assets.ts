/**
 * Browser assets (the sign-in page and the dashboard): TypeScript and CSS under
 * `src/` bundled by Bun for the browser, served from `/assets/<group>/<name>-<hash>.<ext>`
 * with long-lived caching (the hash changes with the content).
 *
 * Two ways to get the bundle, one contract:
 * - Source checkout (`npm start`, tests): `Bun.build` runs in-process on first use, and
 *   again whenever a file under the entry folders changes (checked on each page or asset
 *   request, by modification time), so an edit shows on reload without a build step.
 * - Compiled executable: `build.ts` runs the same `bundleAssets()` ahead of time and embeds
 *   the result as the virtual module `bloop:embedded-assets`, imported only when the build
 *   defines BLOOP_EMBEDDED_ASSETS; the binary never reads `src/` or runs the bundler.
 *
 * To add an app: add a group to ENTRIES; `page.ts` renders its HTML shell. A group with
 * `splitting` (the dashboard) gets a chunk per `import()` (each page, see
 * dashboard/pages/index.ts) under `<group>/chunks/`, plus chunks of the code such imports
 * share (Bun names those after the entry, `main-<hash>.js`). The page links only the
 * entry, which imports chunks by relative URL and preloads a chunk's own imports with
 * `<link rel="modulepreload">`, both allowed by the CSP's `script-src 'self'`. Every chunk
 * is in `files`, so the executable embeds them all.
 * Responses are gzip-compressed once per bundle when the client accepts it.
 */
import { readdirSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'

export interface Group {
  /** Entry points (paths relative to src/): the page's scripts and styles. */
  entries: string[]
  /** Code behind each `import()` becomes a chunk, fetched when that import runs. */
  splitting?: boolean
}

/** The browser apps, each bundled on its own. */
export const ENTRIES: Record<string, Group> = {
  login: { entries: ['web/login/main.ts', 'web/login/login.css'] },
  dashboard: { entries: ['dashboard/main.tsx', 'dashboard/styles/app.css'], splitting: true },
}

export interface Asset {
  type: string
  body: Uint8Array<ArrayBuffer>
  gzip: Uint8Array<ArrayBuffer> | null
  etag: string
}

export interface AssetBundle {
  /** URL path (/assets/...) -> file. */
  files: Map<string, Asset>
  /** Group name -> its script and stylesheet URLs, in entry order. */
  groups: Record<string, { scripts: string[]; styles: string[] }>
}

/** The serializable form: what build.ts embeds and what a bundle is rebuilt from. */
export interface EmbeddedAssets {
  files: Record<string, { type: string; base64: string }>
  groups: AssetBundle['groups']
}

export const ASSET_PREFIX = '/assets/'
const SRC_DIR = resolve(import.meta.dir, '..')

/** Bundles every group with Bun.build (browser target, minified). Throws on a build error. */
export async function bundleAssets(srcDir = SRC_DIR): Promise<EmbeddedAssets> {
  const out: EmbeddedAssets = { files: {}, groups: {} }
  for (const [group, { entries, splitting = false }] of Object.entries(ENTRIES)) {
    const named = `${group}/[name]-[hash].[ext]`
    const result = await Bun.build({
      entrypoints: entries.map((e) => join(srcDir, e)),
      target: 'browser',
      minify: true,
      splitting,
      naming: { entry: named, asset: named, chunk: `${group}/chunks/[name]-[hash].[ext]` },
    })
    if (!result.success) {
      throw new Error(`bundling ${group} failed:\n${result.logs.map(String).join('\n')}`)
    }
    const scripts: string[] = []
    const styles: string[] = []
    for (const artifact of result.outputs) {
      const url = ASSET_PREFIX + artifact.path.replace(/^\.\//, '')
      const bytes = new Uint8Array(await artifact.arrayBuffer())
      out.files[url] = { type: artifact.type, base64: Buffer.from(bytes).toString('base64') }
      if (artifact.kind === 'entry-point' && url.endsWith('.js')) scripts.push(url)
      else if (url.endsWith('.css')) styles.push(url)
    }
    out.groups[group] = { scripts, styles }
  }
  return out
}

export function toBundle(e: EmbeddedAssets): AssetBundle {
  const files = new Map<string, Asset>()
  for (const [url, f] of Object.entries(e.files)) {
    const body = new Uint8Array(Buffer.from(f.base64, 'base64'))
    const compressible = /^(text\/|application\/(javascript|json)|image\/svg)/.test(f.type)
    const gzip = compressible && body.byteLength > 512 ? Bun.gzipSync(body) : null
    files.set(url, { type: f.type, body, gzip, etag: `"${Bun.hash(body).toString(36)}"` })
  }
  return { files, groups: e.groups }
}

/** Newest modification time of any file in the folders the entries live in. */
function sourceStamp(srcDir: string): number {
  let newest = 0
  const folders = new Set(
    Object.values(ENTRIES).flatMap((g) => g.entries.map((e) => dirname(e).split('/')[0])),
  )
  const walk = (dir: string) => {
    for (const ent of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, ent.name)
      if (ent.isDirectory()) walk(p)
      else newest = Math.max(newest, statSync(p).mtimeMs)
    }
  }
  for (const f of folders) if (f) walk(join(srcDir, f))
  return newest
}

let current: { stamp: number; bundle: Promise<AssetBundle> } | null = null

/**
 * The current bundle: the embedded one in a compiled executable, otherwise built from
 * source (and rebuilt after a source change).
 */
export function loadAssets(): Promise<AssetBundle> {
  if (process.env.BLOOP_EMBEDDED_ASSETS === '1') {
    current ??= {
      stamp: 0,
      bundle: import('bloop:embedded-assets').then((m) => toBundle(m.default as EmbeddedAssets)),
    }
    return current.bundle
  }
  const stamp = sourceStamp(SRC_DIR)
  if (!current || current.stamp !== stamp) {
    const bundle = bundleAssets().then(toBundle)
    current = { stamp, bundle }
    // A failed build is retried on the next request instead of being cached.
    bundle.catch(() => {
      if (current?.bundle === bundle) current = null
    })
  }
  return current.bundle
}

/** Serves one asset with caching and gzip, or null when the path is not in the bundle. */
export function assetResponse(bundle: AssetBundle, path: string, request: Request): Response | null {
  const asset = bundle.files.get(path)
  if (!asset) return null
  const headers: Record<string, string> = {
    'content-type': asset.type,
    'cache-control': 'public, max-age=31536000, immutable',
    etag: asset.etag,
    vary: 'accept-encoding',
    'x-content-type-options': 'nosniff',
  }
  if (request.headers.get('if-none-match') === asset.etag) return new Response(null, { status: 304, headers })
  const gzipOk = /\bgzip\b/.test(request.headers.get('accept-encoding') ?? '')
  if (asset.gzip && gzipOk) {
    return new Response(asset.gzip, { headers: { ...headers, 'content-encoding': 'gzip' } })
  }
  return new Response(asset.body, { headers })
}
