/** CLI: `bloop project create` and `bloop project rotate-key` (work directly on the database). */
import type { Command } from '../cli/args'
import { requireString, UsageError } from '../cli/args'
import { withDatabase } from '../cli/db'
import { AppError } from '../http/errors'
import { createProject, rotateKey } from './manage'

/** A refused change (bad slug, duplicate, unknown project) is a usage error with the same message. */
function asUsage<T>(fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    if (err instanceof AppError) throw new UsageError(err.message)
    throw err
  }
}

export const projectCreate: Command = {
  path: ['project', 'create'],
  usage: 'bloop project create --name <name> --slug <slug>',
  summary: 'Create a project; prints its api key alone on the last line.',
  options: { name: { type: 'string' }, slug: { type: 'string' } },
  run(ctx) {
    const name = requireString(ctx.values, 'name')
    const slug = requireString(ctx.values, 'slug')
    return withDatabase(ctx, (db) => {
      const row = asUsage(() => createProject(db, { name, slug, createdBy: null }, Date.now()))
      ctx.out(`created project ${row.slug} ("${row.name}", id ${row.id}, numeric id ${row.numeric_id})`)
      ctx.out(row.api_key)
      return 0
    })
  },
}

export const projectRotateKey: Command = {
  path: ['project', 'rotate-key'],
  usage: 'bloop project rotate-key --slug <slug>',
  summary: 'Replace a project key (the old one stops working at once); prints the new key last.',
  options: { slug: { type: 'string' } },
  run(ctx) {
    const slug = requireString(ctx.values, 'slug')
    return withDatabase(ctx, (db) => {
      const row = asUsage(() => rotateKey(db, slug))
      ctx.out(`rotated the key of project ${row.slug}; SDKs using the old key are refused from now on`)
      ctx.out(row.api_key)
      return 0
    })
  },
}
