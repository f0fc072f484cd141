/**
 * Build time only (imported by build.ts, never by the server): the Bun bundler plugin that
 * puts DuckDB into the compiled executable, or leaves it out of a slim one.
 *
 * - Full build: `@duckdb/node-bindings` (which would `require` a platform package's
 *   `duckdb.node` from node_modules) is replaced by a module that embeds this platform's
 *   `duckdb.node` and `libduckdb.so` as files and loads them through `native.ts`.
 * - Slim build (`--slim`): `@duckdb/node-api` is replaced by a module that throws; the
 *   server never imports it because `duckdb.ts` sees BLOOP_SLIM first and reports 501.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import type { BunPlugin } from 'bun'

const NS = 'bloop-duckdb'
const requireHere = createRequire(import.meta.path)

/** Where this machine's DuckDB native files are, and the tag naming their build. */
export function nativeFiles(): {
  dir: string
  addon: string
  library: string
  libraryName: string
  tag: string
} {
  const bindings = dirname(requireHere.resolve('@duckdb/node-bindings/package.json'))
  const requireBindings = createRequire(join(bindings, 'package.json'))
  const version = (JSON.parse(readFileSync(join(bindings, 'package.json'), 'utf8')) as { version: string })
    .version
  const platform = `${process.platform}-${process.arch}`
  const dir = dirname(requireBindings.resolve(`@duckdb/node-bindings-${platform}/package.json`))
  const libraryName = readdirSync(dir).find((f) => /duckdb\.(so|dylib|dll)$/.test(f))
  if (!libraryName) throw new Error(`expected the DuckDB library in ${dir}, found none`)
  const addon = join(dir, 'duckdb.node')
  const library = join(dir, libraryName)
  const hash = Bun.hash(readFileSync(addon), Bun.hash(readFileSync(library)))
    .toString(16)
    .slice(0, 12)
  return { dir, addon, library, libraryName, tag: `${version}-${platform}-${hash}` }
}

export function duckdbPlugin(opts: { slim: boolean }): BunPlugin {
  return {
    name: 'bloop-duckdb',
    setup(build) {
      if (opts.slim) {
        build.onResolve({ filter: /^@duckdb\/node-api$/ }, () => ({ path: 'slim', namespace: NS }))
        build.onLoad({ filter: /^slim$/, namespace: NS }, () => ({
          loader: 'js',
          contents: 'throw new Error("DuckDB is not part of this build (bun build.ts --slim)")',
        }))
        return
      }
      const files = nativeFiles()
      const native = resolve(import.meta.dir, 'native.ts')
      build.onResolve({ filter: /^@duckdb\/node-bindings$/ }, () => ({ path: 'bindings', namespace: NS }))
      build.onResolve({ filter: /^bloop-duckdb-files$/ }, () => ({ path: 'files', namespace: NS }))
      // CommonJS, because @duckdb/node-api reads the binding both as `.default` and by name.
      build.onLoad({ filter: /^bindings$/, namespace: NS }, () => ({
        loader: 'js',
        contents: [
          `const { loadEmbeddedBinding } = require(${JSON.stringify(native)})`,
          `module.exports = loadEmbeddedBinding(require('bloop-duckdb-files').files)`,
        ].join('\n'),
      }))
      build.onLoad({ filter: /^files$/, namespace: NS }, () => ({
        loader: 'js',
        contents: [
          `import addon from ${JSON.stringify(files.addon)} with { type: 'file' }`,
          `import library from ${JSON.stringify(files.library)} with { type: 'file' }`,
          `export const files = { addon, library, libraryName: ${JSON.stringify(files.libraryName)}, tag: ${JSON.stringify(files.tag)} }`,
        ].join('\n'),
      }))
    },
  }
}
