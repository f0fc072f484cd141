/**
 * Builds the single executable: `bun build.ts` writes dist/bloop, containing the server,
 * the writer thread, the migrations (text imports) and, as features land, the dashboard
 * assets and DuckDB. `--slim` leaves out heavy optional parts (DuckDB).
 */
import { mkdirSync } from 'node:fs'
import { duckdbPlugin } from './src/analytics/bundle'

const slim = process.argv.includes('--slim')
const outfile =
  process.argv.find((a) => a.startsWith('--outfile='))?.slice('--outfile='.length) ?? 'dist/bloop'

mkdirSync('dist', { recursive: true })
const started = performance.now()
const result = await Bun.build({
  entrypoints: ['src/main.ts', 'src/pipeline/writer.worker.ts'],
  compile: { outfile },
  minify: true,
  define: { 'process.env.BLOOP_SLIM': JSON.stringify(slim ? '1' : '') },
  // DuckDB: embedded native files in the full build, left out of the slim one (src/analytics/bundle.ts).
  plugins: [duckdbPlugin({ slim })],
})
if (!result.success) {
  for (const log of result.logs) console.error(log)
  process.exit(1)
}
console.log(`built ${outfile}${slim ? ' (slim)' : ''} in ${Math.round(performance.now() - started)} ms`)
