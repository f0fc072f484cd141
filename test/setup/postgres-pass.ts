/**
 * The HTTP-level suite's second pass, on PostgreSQL (docs/ARCHITECTURE.md, "Tests"): every
 * test/http file run again with BLOOP_TEST_BACKEND=postgres, so each runtime it starts
 * (test/helpers.ts `startRuntime`, directly or through a helper) serves from a new
 * database of one private PostgreSQL server. A file that is about SQLite itself (its writer
 * thread, its file, the DuckDB feed that reads it) says so in its header with a line
 * `@sqlite-only: <why>` and is listed here instead of run; files that run both backends
 * themselves (`BACKENDS`, their own `startPg`) are not run twice. `npm test` runs this
 * after the SQLite pass.
 *
 *   bun test/setup/postgres-pass.ts [filter ...]
 */
import { join, relative } from 'node:path'
import { TEST_DIR } from './tiers'

const BOTH_ALREADY = /\b(BACKENDS|privatePgPerFile|startPg)\b/
const SQLITE_ONLY = /@sqlite-only:\s*(.+)/

const run: string[] = []
const kept: [string, string][] = []
for await (const path of new Bun.Glob('http/*.test.ts').scan({ cwd: TEST_DIR })) {
  const text = await Bun.file(join(TEST_DIR, path)).text()
  if (BOTH_ALREADY.test(text)) continue
  const only = SQLITE_ONLY.exec(text)
  if (only) kept.push([path, (only[1] as string).trim()])
  else run.push(path)
}
run.sort()
const filters = process.argv.slice(2)
const files = filters.length > 0 ? run.filter((f) => filters.some((x) => f.includes(x))) : run
console.log(`PostgreSQL pass: ${files.length} test files (${kept.length} about SQLite itself, not run here):`)
for (const [f, why] of kept.sort()) console.log(`  skipped ${f}: ${why}`)
const proc = Bun.spawn(
  [
    process.execPath,
    'test',
    '--timeout',
    '30000',
    ...files.map((f) => `./${relative(process.cwd(), join(TEST_DIR, f))}`),
  ],
  { env: { ...process.env, BLOOP_TEST_BACKEND: 'postgres' }, stdio: ['inherit', 'inherit', 'inherit'] },
)
process.exit(await proc.exited)
