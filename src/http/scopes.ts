/**
 * The scopes an API token may hold. Plain data: the dashboard's token form imports it, so
 * this file must not import server code (test/unit/imports.test.ts checks the bundle).
 */
export const SCOPES = [
  'errors:read',
  'errors:write',
  'alerts:read',
  'alerts:write',
  'sourcemaps:read',
  'sourcemaps:write',
  'llm:read',
  'llm:write',
] as const
export type Scope = (typeof SCOPES)[number]
export const isScope = (s: string): s is Scope => (SCOPES as readonly string[]).includes(s)
