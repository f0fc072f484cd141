/**
 * CLI: `bloop token create | list | revoke` (work directly on the database). `create`
 * prints the token alone on the last line of stdout, so `$(bloop token create ... | tail -1)`
 * captures it; it is shown only then, as in the dashboard.
 */
import { type Command, requireString, UsageError } from '../core/command'
import { isScope, SCOPES, type Scope } from '../http/auth'
import { listProjects, projectOrUsage } from '../projects'
import { createToken, getToken, listTokens, revokeToken, type TokenRow } from './store'

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString())

export function tokenStatus(t: TokenRow, now: number): 'active' | 'revoked' | 'expired' {
  if (t.revoked_at !== null) return 'revoked'
  if (t.expires_at !== null && t.expires_at <= now) return 'expired'
  return 'active'
}

export const tokenCreate: Command = {
  path: ['token', 'create'],
  usage: 'bloop token create --project <slug> --scopes a,b [--name n] [--expires-days d]',
  summary: 'Create an API token; prints the token alone on the last line.',
  options: {
    project: { type: 'string' },
    scopes: { type: 'string' },
    name: { type: 'string' },
    'expires-days': { type: 'string' },
  },
  run(ctx) {
    const slug = requireString(ctx.values, 'project')
    const scopes = requireString(ctx.values, 'scopes')
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean)
    const bad = scopes.filter((x) => !isScope(x))
    if (scopes.length === 0 || bad.length > 0) {
      throw new UsageError(`invalid scope ${bad.join(', ') || '(none)'}; choose from ${SCOPES.join(', ')}`)
    }
    const daysRaw = ctx.values['expires-days']
    let days: number | null = null
    if (typeof daysRaw === 'string') {
      days = Number(daysRaw)
      if (!Number.isInteger(days) || days < 1 || days > 3650)
        throw new UsageError('--expires-days must be 1-3650')
    }
    return ctx.withDatabase(async (backend) => {
      const project = await projectOrUsage(backend, slug)
      const name =
        typeof ctx.values.name === 'string' ? ctx.values.name : `cli-${new Date().toISOString().slice(0, 10)}`
      const { token, row } = await createToken(backend, {
        projectId: project.id,
        name,
        scopes: scopes as Scope[],
        expiresInDays: days,
        createdBy: 'cli',
      })
      ctx.err(
        `created token "${row.name}" (${row.id}) for project ${project.slug} with scopes ${scopes.join(',')}` +
          (row.expires_at ? `, expires ${new Date(row.expires_at).toISOString()}` : ''),
      )
      ctx.out(token)
      return 0
    })
  },
}

export const tokenList: Command = {
  path: ['token', 'list'],
  usage: 'bloop token list [--project <slug>]',
  summary: 'List API tokens (never the tokens themselves): id, project, name, scopes, status.',
  options: { project: { type: 'string' } },
  run(ctx) {
    return ctx.withDatabase(async (backend) => {
      const projects = await listProjects(backend)
      const slugOf = new Map(projects.map((p) => [p.id, p.slug]))
      const ids =
        typeof ctx.values.project === 'string'
          ? [(await projectOrUsage(backend, ctx.values.project)).id]
          : projects.map((p) => p.id)
      const now = Date.now()
      ctx.out(
        ['ID', 'PROJECT', 'NAME', 'PREFIX', 'SCOPES', 'STATUS', 'CREATED', 'EXPIRES', 'LAST_USED'].join('\t'),
      )
      for (const t of await listTokens(backend, ids)) {
        ctx.out(
          [
            t.id,
            slugOf.get(t.project_id) ?? t.project_id,
            t.name,
            t.token_prefix,
            t.scopes.join(','),
            tokenStatus(t, now),
            iso(t.created_at),
            iso(t.expires_at),
            iso(t.last_used_at),
          ].join('\t'),
        )
      }
      return 0
    })
  },
}

export const tokenRevoke: Command = {
  path: ['token', 'revoke'],
  usage: 'bloop token revoke <id>',
  summary: 'Revoke an API token by id (see token list); it is refused from the next request on.',
  args: ['id'],
  run(ctx) {
    const id = ctx.positionals[0] as string
    return ctx.withDatabase(async (backend) => {
      const row = await getToken(backend, id)
      if (!row) throw new UsageError(`no token with id ${id}; see: bloop token list`)
      if (!(await revokeToken(backend, id))) {
        ctx.out(`token ${id} ("${row.name}") was already revoked`)
        return 0
      }
      ctx.out(`revoked token ${id} ("${row.name}"); requests with it are refused from now on`)
      return 0
    })
  },
}
