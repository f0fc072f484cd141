/**
 * Comments cite documents a reader can open: a citation of docs/decisions.md names one of
 * its sections, and nothing cites a numbered section of a planning document or an issue
 * tracker that is not in the repository (a reader cannot open either). Released migrations
 * are exempt: their text is checksummed once applied and must stay as released.
 */
import { describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const ROOT = join(import.meta.dir, '..', '..')
const RELEASED_MIGRATIONS = new Set([
  'src/auth/migrations/002_accounts.sql',
  'src/alerts/migrations/003_alerts.sql',
  'src/sentry/migrations/005_sentry.sql',
])

async function sources(): Promise<{ path: string; text: string }[]> {
  const out: { path: string; text: string }[] = []
  for (const pattern of ['src/**/*.{ts,tsx,sql}', 'bench/**/*.ts', 'test/**/*.ts', 'build.ts']) {
    for await (const path of new Bun.Glob(pattern).scan({ cwd: ROOT })) {
      if (path.startsWith('test/fixtures/') || RELEASED_MIGRATIONS.has(path)) continue
      out.push({ path, text: readFileSync(join(ROOT, path), 'utf8') })
    }
  }
  return out
}

const headings = (file: string) =>
  new Set(
    readFileSync(join(ROOT, file), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('## '))
      .map((l) => l.slice(3).trim()),
  )

describe('comment citations', () => {
  test('no comment cites a numbered section of a document outside the repository', async () => {
    // Built from parts so that this file does not match itself.
    const cited = new RegExp(`\\b(${['SP', 'EC'].join('')}|${['ST', 'YLE'].join('')}|[Ii]ssue) ?[0-9#§]`)
    const found: string[] = []
    for (const { path, text } of await sources()) {
      text.split('\n').forEach((line, i) => {
        if (cited.test(line)) found.push(`${path}:${i + 1}: ${line.trim()}`)
      })
    }
    expect(found).toEqual([])
  })

  test('every citation of docs/decisions.md names one of its sections', async () => {
    const sections = headings('docs/decisions.md')
    const unknown: string[] = []
    let citations = 0
    for (const { path, text } of await sources()) {
      const flat = text.replace(/\n\s*(\*|\/\/|--)\s*/g, ' ')
      for (const m of flat.matchAll(/docs\/decisions\.md,? \(?"([^"]+)"/g)) {
        citations++
        if (!sections.has(m[1] as string)) unknown.push(`${path}: "${m[1]}"`)
      }
    }
    expect(unknown).toEqual([])
    expect(citations).toBeGreaterThan(20)
  })

  test('every test file the docs and comments name exists', async () => {
    const texts = await sources()
    for (const file of ['README.md', ...[...new Bun.Glob('docs/*.md').scanSync({ cwd: ROOT })]])
      texts.push({ path: file, text: readFileSync(join(ROOT, file), 'utf8') })
    const missing: string[] = []
    for (const { path, text } of texts) {
      for (const m of text.matchAll(/(?<![\w./-])test\/[\w./-]+\.test\.ts/g)) {
        if (!(await Bun.file(join(ROOT, m[0])).exists())) missing.push(`${path}: ${m[0]}`)
      }
    }
    expect(missing).toEqual([])
  })

  test('the released migrations exempted above exist', () => {
    for (const path of RELEASED_MIGRATIONS) expect(Bun.file(join(ROOT, path)).size).toBeGreaterThan(0)
  })
})
