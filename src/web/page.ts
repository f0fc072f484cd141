/**
 * HTML shells for the bundled browser apps, with a strict Content-Security-Policy: scripts
 * and styles only from this origin's /assets files (no inline code, no eval, no CDN), no
 * framing (clickjacking), no plugins, forms and fetches only to this origin.
 */
import type { AssetBundle } from './assets'

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ')

export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
}

/** The brand dot as an inline SVG icon (a data: URL, allowed by img-src; no /favicon.ico request). */
const ICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Ccircle cx='8' cy='8' r='7' fill='%233048c8'/%3E%3C/svg%3E"

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  )

/** The page of one asset group: its stylesheets, its module scripts and a static body. */
export function renderPage(
  bundle: AssetBundle,
  group: string,
  opts: { title: string; body: string },
): string {
  const assets = bundle.groups[group]
  if (!assets)
    throw new Error(`expected an asset group named ${group}, got ${Object.keys(bundle.groups).join(', ')}`)
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    `<title>${escapeHtml(opts.title)}</title>`,
    `<link rel="icon" href="${ICON}">`,
    ...assets.styles.map((href) => `<link rel="stylesheet" href="${href}">`),
    ...assets.scripts.map((src) => `<script type="module" src="${src}"></script>`),
    '</head>',
    `<body>${opts.body}</body>`,
    '</html>',
  ].join('\n')
}

export function pageResponse(html: string): Response {
  return new Response(html, { headers: PAGE_HEADERS })
}
