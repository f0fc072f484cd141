/**
 * Loads DuckDB's native addon from inside the compiled executable (docs/decisions.md,
 * "Running and packaging").
 *
 * `@duckdb/node-bindings` normally `require`s `duckdb.node` from a platform package in
 * node_modules, and that addon finds `libduckdb.so` through its RUNPATH `$ORIGIN`, i.e. in
 * its own directory. A compiled Bun executable has no node_modules, and Bun extracts an
 * embedded `.node` alone into a temporary directory, where `libduckdb.so` would be missing.
 * So the build (`bundle.ts`) replaces `@duckdb/node-bindings` with a small module that
 * embeds both files (`with { type: 'file' }`) and calls `loadEmbeddedBinding` here, which:
 *
 * 1. writes both files once into `<native dir>/duckdb-<version>-<platform>-<hash>/`, the
 *    directory name changing with any change of the files, each written to a temporary
 *    name and renamed so that a crash or a second process never leaves a half file;
 * 2. `process.dlopen`s the addon from there, so `$ORIGIN` finds the library beside it.
 *
 * Nothing is downloaded: both files come out of the executable. In a source checkout this
 * module is not involved; node_modules provides the addon as usual.
 */
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { makePrivateDir, makePrivateFile, PRIVATE_FILE_MODE } from '../storage/private'

/** What the build embeds: paths inside the executable and a tag naming their version. */
export interface EmbeddedNative {
  /** Path of the embedded `duckdb.node` (in Bun's embedded file system). */
  addon: string
  /** Path of the embedded `libduckdb.so` (or .dylib / .dll). */
  library: string
  /** File name of the library as the addon expects it (`libduckdb.so`). */
  libraryName: string
  /** `<version>-<platform>-<hash>`: a new build of DuckDB gets a new directory. */
  tag: string
}

let nativeDir: string | null = null

/** Chooses where the embedded files are written; called before DuckDB is first loaded. */
export function setNativeDir(dir: string): void {
  nativeDir = dir
}

/**
 * Writes the embedded files into `<base>/duckdb-<tag>/` unless they are already there with
 * the same sizes; returns that directory.
 */
export function materializeNative(files: EmbeddedNative, base: string): string {
  const dir = join(base, `duckdb-${files.tag}`)
  // Private like the rest of the data directory it defaults to (`<data dir>/.cache`);
  // loading a library needs read permission only, not the execute bit.
  makePrivateDir(dir)
  const wanted: [string, string][] = [
    [files.library, files.libraryName],
    [files.addon, 'duckdb.node'],
  ]
  let wrote = false
  for (const [source, name] of wanted) {
    const target = join(dir, name)
    const size = statSync(source).size
    if (existsSync(target) && statSync(target).size === size) continue
    const temporary = `${target}.${process.pid}.tmp`
    // Whole-file read: Bun's embedded files support readFileSync but not open/copyFile.
    writeFileSync(temporary, readFileSync(source), { mode: PRIVATE_FILE_MODE })
    makePrivateFile(temporary)
    renameSync(temporary, target)
    wrote = true
  }
  // Hand the 70 MB read buffer back to the system now rather than at some later collection.
  if (wrote) Bun.gc(true)
  return dir
}

/** The replacement of `@duckdb/node-bindings` in the compiled executable calls this. */
export function loadEmbeddedBinding(files: EmbeddedNative): unknown {
  if (nativeDir === null) {
    throw new Error('expected setNativeDir() to be called before DuckDB is loaded')
  }
  const dir = materializeNative(files, nativeDir)
  const module = { exports: {} }
  process.dlopen(module, join(dir, 'duckdb.node'))
  return module.exports
}
