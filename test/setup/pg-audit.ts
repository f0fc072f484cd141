/**
 * `bun test/setup/pg-audit.ts`: which of the stores' SQL statements PostgreSQL takes after
 * the seam's translation (src/storage/postgres.ts), for the work of moving stores onto the
 * seam (docs/ARCHITECTURE.md, "Storage backends"). Every statement written as one literal
 * in a `.query(`, `.prepare(`, `.run(` call under src/, or in a seam call (`.all(`, `.get(`),
 * is translated and PREPAREd (parsed and planned, not run) against a migrated PostgreSQL
 * database on a private server (test/pg.helpers.ts); those PostgreSQL refuses are listed
 * with its reason. A `${placeholders(n)}` list is read as one `?`; statements built with
 * any other `${...}` are not seen; DuckDB's (src/analytics) and SQLite's own (the lock,
 * the copy's catalogue reads) are not for PostgreSQL and are left out.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Glob } from 'bun'
import { MIGRATIONS } from '../../src/features'
import { migratePostgres } from '../../src/storage/migrate'
import { translate } from '../../src/storage/postgres'
import { pgBenchBackend, startPg } from '../pg.helpers'

const SRC = join(import.meta.dir, '..', '..', 'src')
const NOT_FOR_POSTGRES = [/^analytics\//, /^storage\/(lock|copy|db|tasks|checkpointer|backup)/]

const found: { file: string; sql: string }[] = []
for (const file of new Glob('**/*.ts').scanSync(SRC)) {
  if (NOT_FOR_POSTGRES.some((r) => r.test(file))) continue
  const text = readFileSync(join(SRC, file), 'utf8')
  for (const m of text.matchAll(
    /\.(?:query|prepare|run|all|get)(?:<[^>]*>)?\(\s*(`[^`]*`|'[^']*'|"[^"]*")/g,
  )) {
    const sql = (m[1] as string).slice(1, -1).replace(/\$\{placeholders\([^)]*\)\}/g, '?')
    if (!sql.includes('${') && /^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b/i.test(sql))
      found.push({ file, sql })
  }
}

const pg = await startPg()
const b = await pgBenchBackend(pg, 1)
try {
  await migratePostgres(b, MIGRATIONS)
  let ok = 0
  const refused: string[] = []
  for (const [n, { file, sql }] of found.entries()) {
    try {
      await b.exec(`PREPARE audit${n} AS ${translate(sql)}`)
      ok++
    } catch (err) {
      refused.push(`${file}: ${(err as Error).message}\n    ${sql.replace(/\s+/g, ' ').trim().slice(0, 160)}`)
    }
  }
  for (const r of refused) console.log(r)
  console.log(`${found.length} statements: ${ok} taken by PostgreSQL, ${refused.length} refused`)
} finally {
  await b.close()
  await pg.stop()
}
