/**
 * Builds the single executable: `bun build.ts` writes dist/bloop, containing the server,
 * its worker threads (writer, checkpointer, source maps), the migrations (text imports),
 * the browser assets (bundled here and embedded as the virtual module
 * `bloop:embedded-assets`, see src/web/assets.ts) and DuckDB's native files
 * (src/analytics/bundle.ts). `--slim` leaves DuckDB out.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { buildScript } from './sdk/js/build'
import { duckdbPlugin } from './src/analytics/bundle'
import { bundleAssets } from './src/web/assets'

const slim = process.argv.includes('--slim')
const outfile =
  process.argv.find((a) => a.startsWith('--outfile='))?.slice('--outfile='.length) ?? 'dist/bloop'

// What `bloop version` reports. SOURCE_DATE_EPOCH, when set, makes the date reproducible.
const git = Bun.spawnSync(['git', 'rev-parse', '--short', 'HEAD'], { stderr: 'ignore' })
const commit = git.exitCode === 0 ? git.stdout.toString().trim() : 'dev'
const epoch = Number(process.env.SOURCE_DATE_EPOCH)
const builtAt = (Number.isFinite(epoch) && epoch > 0 ? new Date(epoch * 1000) : new Date()).toISOString()

mkdirSync('dist', { recursive: true })
const started = performance.now()
// The browser bundle, pre-built: the executable never runs the bundler or reads src/.
const embedded = resolve('dist/embedded-assets.json')
writeFileSync(embedded, JSON.stringify(await bundleAssets()))
// The SDK's script-tag build served at /sdk/ (src/sdk/script.ts), embedded the same way.
const sdkScript = resolve('dist/sdk-script.json')
writeFileSync(sdkScript, JSON.stringify(await buildScript()))
const result = await Bun.build({
  entrypoints: [
    'src/main.ts',
    'src/writer.worker.ts',
    'src/storage/checkpointer.worker.ts',
    'src/storage/backup.worker.ts',
    'src/sourcemaps/maps.worker.ts',
  ],
  compile: { outfile },
  minify: true,
  define: {
    'process.env.BLOOP_SLIM': JSON.stringify(slim ? '1' : ''),
    'process.env.BLOOP_EMBEDDED_ASSETS': JSON.stringify('1'),
    'process.env.BLOOP_BUILD_COMMIT': JSON.stringify(commit),
    'process.env.BLOOP_BUILD_DATE': JSON.stringify(builtAt),
  },
  plugins: [
    {
      name: 'embedded-assets',
      setup(build) {
        build.onResolve({ filter: /^bloop:embedded-assets$/ }, () => ({ path: embedded }))
        build.onResolve({ filter: /^bloop:sdk-script$/ }, () => ({ path: sdkScript }))
      },
    },
    // DuckDB: embedded native files in the full build, left out of the slim one.
    duckdbPlugin({ slim }),
  ],
})
if (!result.success) {
  for (const log of result.logs) console.error(log)
  process.exit(1)
}
console.log(`built ${outfile}${slim ? ' (slim)' : ''} in ${Math.round(performance.now() - started)} ms`)
