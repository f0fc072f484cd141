/**
 * `npm run bench`: runs every bench/*.bench.ts in turn (or those named on the command
 * line, e.g. `npm run bench -- ingest`). Each prints its own figures; record them with the
 * machine and command in docs/benchmarks.md.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'

const filters = process.argv.slice(2)
const dir = import.meta.dir
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort()
if (files.length === 0) {
  console.error(`no benchmark matches ${filters.join(' ')}`)
  process.exit(2)
}
for (const f of files) {
  console.log(`\n=== ${f}`)
  const proc = Bun.spawn([process.execPath, join(dir, f)], { stdout: 'inherit', stderr: 'inherit' })
  const code = await proc.exited
  if (code !== 0) {
    console.error(`${f} failed with exit code ${code}`)
    process.exit(code)
  }
}
