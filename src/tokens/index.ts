/**
 * The API tokens feature: bearer tokens for one project with scopes, created by signed-in
 * users or the CLI, stored as SHA-256 only. Access control (http/auth.ts) resolves them
 * through `resolveToken`.
 */
import type { AnyElysia } from 'elysia'
import type { Core, Feature, Started } from '../core/feature'
import m001pg from './migrations/001_api_tokens.pg.sql' with { type: 'text' }
import m001 from './migrations/001_api_tokens.sql' with { type: 'text' }
import { tokensRoutes } from './routes'

export { tokenCreate, tokenList, tokenRevoke } from './cli'
export { resolveToken } from './store'

export type TokensDeps = Pick<Core, 'backend' | 'guard' | 'log' | 'now'>

export interface TokensRunning extends Started {
  routes: AnyElysia
}

export const tokens: Feature<TokensDeps, TokensRunning> = {
  name: 'tokens',
  config: [],
  migrations: [{ file: '001_api_tokens.sql', sql: m001, pg: m001pg }],
  backends: ['sqlite', 'postgres'],
  start: (d) => ({ routes: tokensRoutes(d) }),
}
