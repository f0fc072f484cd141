/**
 * The browser and OS of a User-Agent header, for Sentry browser events: @sentry/browser
 * sends no `browser` or `os` context (Sentry's server derives them from the request's
 * User-Agent), so bloop does the same for the tags of docs/decisions.md, "Tags". Pure,
 * a few patterns for the browsers and systems in use; anything else is left out rather
 * than guessed.
 */

export interface Named {
  name: string
  version?: string
}

// Order matters: Edge and Opera also say Chrome, Chrome also says Safari.
const BROWSERS: [string, RegExp][] = [
  ['Edge', /\bEdg(?:e|A|iOS)?\/([\d.]+)/],
  ['Opera', /\bOPR\/([\d.]+)/],
  ['Firefox', /\b(?:Firefox|FxiOS)\/([\d.]+)/],
  ['Chrome Headless', /\bHeadlessChrome\/([\d.]+)/],
  ['Chrome', /\b(?:Chrome|CriOS)\/([\d.]+)/],
  ['Safari', /\bVersion\/([\d.]+).*\bSafari\//],
]

const SYSTEMS: [string, RegExp][] = [
  ['Windows', /\bWindows NT ([\d.]+)/],
  ['iOS', /\b(?:iPhone|CPU) OS ([\d_]+)/],
  ['Android', /\bAndroid ([\d.]+)/],
  ['Mac OS X', /\bMac OS X ([\d_.]+)/],
  ['Chrome OS', /\bCrOS \S+ ([\d.]+)/],
  ['Linux', /\bLinux\b()/],
]

const major = (v: string) => v.replace(/_/g, '.').split('.').slice(0, 2).join('.')

function first(ua: string, table: [string, RegExp][]): Named | null {
  for (const [name, re] of table) {
    const m = re.exec(ua)
    if (m) return m[1] ? { name, version: major(m[1]) } : { name }
  }
  return null
}

export function parseUserAgent(ua: string): { browser: Named | null; os: Named | null } {
  return { browser: first(ua, BROWSERS), os: first(ua, SYSTEMS) }
}
