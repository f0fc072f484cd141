/**
 * Which tier a test file belongs in, and a mover for files outside one
 * (ARCHITECTURE.md, "Tests"). A file belongs in the last tier whose helpers it calls:
 *
 *   unit     none of the below: no app, no spawned bloop, no browser
 *   http     the app in this process (startRuntime, serve, app.handle)
 *   process  bloop as a child process (spawnServer, the CLI helpers)
 *   browser  headless Chromium
 *
 * `bun test/setup/tiers.ts` lists the test files outside test/{unit,http,process,browser};
 * `--move` moves each with `git mv` into its tier (under test/, `llm/cost.test.ts` becomes
 * `http/llm.cost.test.ts`), rewrites its relative imports and `import.meta.dir` paths
 * for the new folder, and the old path wherever the repository mentions it.
 * test/unit/tiers.test.ts uses the same rule to keep every file where it belongs.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

export const TIERS = ['unit', 'http', 'process', 'browser'] as const
export type Tier = (typeof TIERS)[number]

/** What each tier after unit is for, by the names of the helpers that start it. */
export const STARTS: Record<Exclude<Tier, 'unit'>, RegExp> = {
  http: /\b(startRuntime|startDashboardServer|startPg|startSentryServer)\(|\bserve\(|\.handle\(/,
  process: /\b(spawnServer|startBloop|bloop)\(|from '\.\.?\/(\.\.\/)?cli\.process'/,
  browser: /\blaunchChromium\(|\brunInChromium\(/,
}

export const TEST_DIR = resolve(import.meta.dir, '..')
const ROOT = resolve(TEST_DIR, '..')

/** The last tier whose helpers `text` calls. */
export function tierOf(text: string): Tier {
  for (const tier of ['browser', 'process', 'http'] as const) if (STARTS[tier].test(text)) return tier
  return 'unit'
}

/** The tier folder a path under test/ is in, or null. */
export function tierFolder(path: string): Tier | null {
  const first = path.split('/')[0] as Tier
  return TIERS.includes(first) && path.includes('/') ? first : null
}

/** Where a file outside the tiers goes: its folders become the first words of its name. */
export function placeOf(path: string, tier: Tier): string {
  return `${tier}/${path.split('/').join('.')}`
}

export async function testFiles(): Promise<string[]> {
  const out: string[] = []
  for await (const path of new Bun.Glob('**/*.test.ts').scan({ cwd: TEST_DIR })) out.push(path)
  return out.sort()
}

/** `text` with its relative specifiers and `import.meta.dir` paths made right from `to`. */
export function rebase(text: string, fromDir: string, toDir: string): { text: string; warnings: string[] } {
  const warnings: string[] = []
  const rel = (target: string) => {
    const r = relative(toDir, target)
    return r.startsWith('.') ? r : `./${r}`
  }
  let out = text.replace(
    /(from |import\(|require\()'(\.\.?\/[^']*)'/g,
    (_, lead: string, spec: string) => `${lead}'${rel(resolve(fromDir, spec))}'`,
  )
  out = out.replace(/\b(join|resolve)\(import\.meta\.dir((?:, '[^']*')+)/g, (_, fn: string, args: string) => {
    const parts = [...args.matchAll(/'([^']*)'/g)].map((m) => m[1] as string)
    const segments = relative(toDir, resolve(fromDir, ...parts)).split('/')
    return `${fn}(import.meta.dir, ${segments.map((s) => `'${s}'`).join(', ')}`
  })
  for (const [i, line] of out.split('\n').entries()) {
    if (/import\.meta\.dir(?!, ')/.test(line) && !/\b(join|resolve)\(import\.meta\.dir, '/.test(line))
      warnings.push(
        `line ${i + 1} uses import.meta.dir in a way this script does not rewrite: ${line.trim()}`,
      )
  }
  return { text: out, warnings }
}

function git(args: string[]): string {
  const r = Bun.spawnSync(['git', ...args], { cwd: ROOT })
  if (r.exitCode !== 0)
    throw new Error(`expected git ${args.join(' ')} to succeed, got ${r.stderr.toString()}`)
  return r.stdout.toString()
}

async function main(): Promise<void> {
  const move = process.argv.includes('--move')
  const outside = (await testFiles()).filter((p) => tierFolder(p) === null)
  if (outside.length === 0) {
    console.log('every test file is in a tier')
    return
  }
  const moves = outside.map((from) => {
    const tier = tierOf(readFileSync(join(TEST_DIR, from), 'utf8'))
    return { from, to: placeOf(from, tier) }
  })
  for (const m of moves) console.log(`test/${m.from} -> test/${m.to}`)
  if (!move) {
    console.log('run with --move to move them')
    return
  }
  for (const m of moves) {
    const fromAbs = join(TEST_DIR, m.from)
    const toAbs = join(TEST_DIR, m.to)
    git(['mv', fromAbs, toAbs])
    const { text, warnings } = rebase(readFileSync(toAbs, 'utf8'), dirname(fromAbs), dirname(toAbs))
    writeFileSync(toAbs, text)
    for (const w of warnings) console.log(`  test/${m.to}: ${w}`)
  }
  // The old paths wherever the repository names them (docs, comments, other tests).
  const files = git(['ls-files', '*.md', '*.ts', '*.tsx', '*.mjs', '*.json', '.ci/*'])
    .split('\n')
    .filter(Boolean)
  for (const file of files) {
    if (file === 'test/setup/tiers.ts') continue // its own examples are not mentions
    const abs = join(ROOT, file)
    const text = readFileSync(abs, 'utf8')
    let changed = text
    for (const m of moves) changed = changed.split(`test/${m.from}`).join(`test/${m.to}`)
    if (changed !== text) writeFileSync(abs, changed)
  }
  console.log('moved; now run: npx biome check --write test && npx tsc --noEmit && npm run test:unit')
}

if (import.meta.main) await main()
