/**
 * The shape of src/ as a rule, not a habit: every `import` in src/ is read (Bun's own
 * scanner for what is loaded at run time, a small regex for type-only imports too) and
 * the folder graph is checked.
 *
 * - core folders (config, http, ops, storage, core, web) import no feature and not the
 *   composition root (src/*.ts, src/cli/); every other folder is a feature's, and one
 *   with an index.ts is listed in src/features.ts;
 * - a feature imports another feature only through that feature's index.ts (the
 *   dashboard's browser part may import other features' shapes as types only: they are
 *   erased from its bundle);
 * - the composition root imports features through their index.ts, except the writer
 *   registry (src/writer.tasks.ts), which imports their tasks.ts;
 * - no two folders import each other, directly or through others;
 * - the browser bundles (dashboard, sign-in page) load no server-only module, and the
 *   writer thread loads no HTTP code.
 */
import { describe, expect, test } from 'bun:test'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { FEATURES } from '../../src/features'

const SRC = resolve(import.meta.dir, '../../src')
const CORE = new Set(['config', 'http', 'ops', 'storage', 'core', 'web'])
const COMPOSITION = new Set(['.', 'cli'])
const BROWSER_ENTRIES = ['dashboard/main.tsx', 'web/login/main.ts']
const BROWSER_PART = /^dashboard\/(pages|lib|components)\/|^dashboard\/(app|main)\.tsx$/
/** Pure modules of a feature, without imports, that the dashboard bundles as they are. */
const FEATURE_SHARED_WITH_BROWSER = new Set(['errors/search.ts'])

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return filesUnder(path)
    return /\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [path] : []
  })
}

const FILES = filesUnder(SRC).map((f) => relative(SRC, f))
/** Every other folder is a feature's, listed in src/features.ts or still being built (no index.ts yet). */
const FEATURE_NAMES = new Set(
  FILES.map((f) => (f.includes('/') ? (f.split('/')[0] as string) : '.')).filter(
    (f) => !CORE.has(f) && !COMPOSITION.has(f),
  ),
)

interface Edge {
  from: string
  /** Path under src/ of the imported module, or the package name. */
  to: string
  local: boolean
  typeOnly: boolean
}

/** `src/` path of a relative specifier, the way the bundler resolves it. */
function resolveLocal(from: string, spec: string): string {
  const base = resolve(SRC, dirname(from), spec)
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return relative(SRC, candidate)
  }
  throw new Error(`expected ${spec} (imported by ${from}) to resolve to a file, found none`)
}

const transpilers = { ts: new Bun.Transpiler({ loader: 'ts' }), tsx: new Bun.Transpiler({ loader: 'tsx' }) }
// Every import and re-export statement, `import type` included (Bun drops those).
const STATEMENT = /(?:^|\n)\s*(?:import|export)\s+(type\s+)?(?:[^'"`;=()]*?\s+from\s+)?['"]([^'"]+)['"]/g

function edgesOf(file: string): Edge[] {
  // A shebang line (main.ts) is not TypeScript.
  const code = readFileSync(join(SRC, file), 'utf8').replace(/^#!.*/, '')
  const transpiler = file.endsWith('.tsx') ? transpilers.tsx : transpilers.ts
  const loaded = new Set(transpiler.scanImports(code).map((i) => i.path))
  const specs = new Map<string, boolean>()
  for (const m of code.matchAll(STATEMENT)) {
    const spec = m[2] as string
    specs.set(spec, (specs.get(spec) ?? true) && !loaded.has(spec))
  }
  for (const spec of loaded) specs.set(spec, false)
  return [...specs.entries()].map(([spec, typeOnly]) => {
    const local = spec.startsWith('.')
    return { from: file, to: local ? resolveLocal(file, spec) : spec, local, typeOnly }
  })
}

const EDGES = FILES.flatMap(edgesOf)

/** The folder a src/ path belongs to; `.` for the composition root's own files. */
const folderOf = (path: string) => (path.includes('/') ? (path.split('/')[0] as string) : '.')
const isComposition = (path: string) => folderOf(path) === '.' || folderOf(path) === 'cli'
const isFeature = (path: string) => FEATURE_NAMES.has(folderOf(path))

/** Every module `entry` loads at run time (value imports only, transitively). */
function closure(entry: string): Set<string> {
  const seen = new Set<string>([entry])
  const todo = [entry]
  while (todo.length > 0) {
    const file = todo.pop() as string
    for (const e of EDGES) {
      if (e.from !== file || e.typeOnly || !e.local || !/\.tsx?$/.test(e.to) || seen.has(e.to)) continue
      seen.add(e.to)
      todo.push(e.to)
    }
  }
  return seen
}

describe('the import graph of src/', () => {
  test('reads every file and finds the imports of each', () => {
    expect(FILES.length).toBeGreaterThan(150)
    expect(EDGES.filter((e) => e.from === 'server.ts' && e.local).length).toBeGreaterThan(15)
    // A type-only import is seen as one.
    expect(EDGES).toContainEqual({
      from: 'errors/prune.ts',
      to: 'retention/index.ts',
      local: true,
      typeOnly: true,
    })
  })

  test('every feature folder with an index.ts is listed in src/features.ts, and every listed one has its folder', () => {
    const withIndex = [...FEATURE_NAMES].filter((f) => FILES.includes(`${f}/index.ts`)).sort()
    expect(withIndex).toEqual(FEATURES.map((f) => f.name as string).sort())
  })

  test('core folders import no feature and not the composition root', () => {
    const bad = EDGES.filter(
      (e) => CORE.has(folderOf(e.from)) && e.local && (isFeature(e.to) || isComposition(e.to)),
    )
    expect(bad.map((e) => `${e.from} -> ${e.to}`)).toEqual([])
  })

  test("a feature imports another feature only through that feature's index.ts", () => {
    const bad = EDGES.filter((e) => {
      if (!e.local || !isFeature(e.from) || !isFeature(e.to)) return false
      const [from, to] = [folderOf(e.from), folderOf(e.to)]
      if (from === to || e.to === `${to}/index.ts`) return false
      // The dashboard's browser app reads other features' response shapes as types, and
      // bundles the few pure modules a feature shares with it (the search parser).
      return !(BROWSER_PART.test(e.from) && (e.typeOnly || FEATURE_SHARED_WITH_BROWSER.has(e.to)))
    })
    expect(bad.map((e) => `${e.from} -> ${e.to}`)).toEqual([])
  })

  test('no feature imports the composition root', () => {
    const bad = EDGES.filter((e) => e.local && isFeature(e.from) && isComposition(e.to))
    expect(bad.map((e) => `${e.from} -> ${e.to}`)).toEqual([])
  })

  test('the composition root imports features through their index.ts; only the writer registry takes their tasks.ts', () => {
    const bad = EDGES.filter((e) => {
      if (!e.local || !isComposition(e.from) || !isFeature(e.to)) return false
      const to = folderOf(e.to)
      if (e.to === `${to}/index.ts`) return false
      return !(e.from === 'writer.tasks.ts' && e.to === `${to}/tasks.ts`)
    })
    expect(bad.map((e) => `${e.from} -> ${e.to}`)).toEqual([])
  })

  test('no two folders import each other, directly or through others', () => {
    // The root's files and the CLI are one layer: main.ts runs the CLI, which runs the server.
    const node = (path: string) => (isComposition(path) ? 'composition root' : folderOf(path))
    const graph = new Map<string, Set<string>>()
    for (const e of EDGES) {
      if (!e.local || node(e.from) === node(e.to)) continue
      const out = graph.get(node(e.from)) ?? new Set()
      out.add(node(e.to))
      graph.set(node(e.from), out)
    }
    const cycles: string[] = []
    const state = new Map<string, 'open' | 'done'>()
    const visit = (at: string, path: string[]) => {
      if (state.get(at) === 'done') return
      if (state.get(at) === 'open') {
        cycles.push([...path.slice(path.indexOf(at)), at].join(' -> '))
        return
      }
      state.set(at, 'open')
      for (const next of graph.get(at) ?? []) visit(next, [...path, at])
      state.set(at, 'done')
    }
    for (const at of graph.keys()) visit(at, [])
    expect(cycles).toEqual([])
  })

  test('the browser bundles load no server-only module', () => {
    for (const entry of BROWSER_ENTRIES) {
      const serverOnly = [...closure(entry)].flatMap((file) =>
        EDGES.filter(
          (e) => e.from === file && !e.typeOnly && !e.local && /^(bun:|node:|elysia|@elysiajs)/.test(e.to),
        ),
      )
      expect({ entry, serverOnly: serverOnly.map((e) => `${e.from} -> ${e.to}`) }).toEqual({
        entry,
        serverOnly: [],
      })
    }
  })

  // Plain data the browser may share with the server: no server code behind it.
  const BROWSER_SHARED = new Set(['http/scopes.ts', ...FEATURE_SHARED_WITH_BROWSER])

  test('the browser bundles load no server file but plain shared data (other shapes are types only)', () => {
    for (const entry of BROWSER_ENTRIES) {
      const server = [...closure(entry)].filter(
        (f) => !f.startsWith('dashboard/') && !f.startsWith('web/') && !BROWSER_SHARED.has(f),
      )
      expect({ entry, server }).toEqual({ entry, server: [] })
    }
  })

  test("the writer thread loads no HTTP code and no feature's index.ts", () => {
    const loaded = [...closure('writer.worker.ts')]
    expect(loaded).toContain('errors/commit.ts')
    const http = loaded.flatMap((file) =>
      EDGES.filter((e) => e.from === file && !e.typeOnly && /^(elysia|@elysiajs)/.test(e.to)).map(
        (e) => e.from,
      ),
    )
    expect(http).toEqual([])
    expect(loaded.filter((f) => /(^|\/)(index|routes)\.ts$/.test(f) && isFeature(f))).toEqual([])
  })
})
