/**
 * Every test file sits in the tier that matches what it starts (ARCHITECTURE.md, "Tests"),
 * so `npm run test:unit` stays a loop of seconds and each tier's command runs what its
 * name says. A file may use what the tiers before its own are for, never what a later
 * tier is for; the rule and a mover for misplaced files are in test/setup/tiers.ts.
 */
import { describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { placeOf, rebase, TEST_DIR, TIERS, testFiles, tierFolder, tierOf } from '../setup/tiers'

describe('test tiers', () => {
  test('every test file is in test/unit, test/http, test/process or test/browser', async () => {
    const outside = (await testFiles()).filter((p) => tierFolder(p) === null)
    expect(
      outside.map((p) => `test/${p}: \`bun test/setup/tiers.ts --move\` moves it into its tier`),
    ).toEqual([])
  })

  test('no test file starts what a later tier is for', async () => {
    const misplaced: string[] = []
    for (const path of await testFiles()) {
      const folder = tierFolder(path)
      // This file names every tier's helpers in its own cases below.
      if (folder === null || path === 'unit/tiers.test.ts') continue
      const needs = tierOf(readFileSync(join(TEST_DIR, path), 'utf8'))
      if (TIERS.indexOf(needs) > TIERS.indexOf(folder))
        misplaced.push(`test/${path} starts what test/${needs} is for`)
    }
    expect(misplaced).toEqual([])
  })

  test('a file belongs in the last tier whose helpers it calls', () => {
    expect(tierOf("import { expect } from 'bun:test'\nexpect(parse('x')).toBe(1)")).toBe('unit')
    expect(tierOf('const rt = await startRuntime()')).toBe('http')
    expect(tierOf('await rt.handle(signed(...))')).toBe('http')
    expect(tierOf('const rt = await startRuntime()\nconst s = await spawnServer({ dir })')).toBe('process')
    expect(tierOf("import { bloop } from '../cli.process'")).toBe('process')
    expect(tierOf('await spawnServer({ dir })\nconst b = await launchChromium()')).toBe('browser')
  })

  test('a moved file is named after its old folders and its paths still point where they did', () => {
    expect(placeOf('llm/cost.test.ts', 'http')).toBe('http/llm.cost.test.ts')
    expect(placeOf('sdk.node.test.ts', 'process')).toBe('process/sdk.node.test.ts')
    const from = join(TEST_DIR, 'llm')
    const to = join(TEST_DIR, 'http')
    const moved = rebase(
      [
        "import { startRuntime } from '../helpers'",
        "import { traceOf } from './helpers'",
        "import { llm } from '../../src/llm'",
        "const fixture = join(import.meta.dir, 'fixtures', 'a.json')",
        "const main = resolve(import.meta.dir, '../../src/main.ts')",
      ].join('\n'),
      from,
      to,
    )
    expect(moved.text.split('\n')).toEqual([
      "import { startRuntime } from '../helpers'",
      "import { traceOf } from '../llm/helpers'",
      "import { llm } from '../../src/llm'",
      "const fixture = join(import.meta.dir, '..', 'llm', 'fixtures', 'a.json')",
      "const main = resolve(import.meta.dir, '..', '..', 'src', 'main.ts')",
    ])
    expect(moved.warnings).toEqual([])
    const flat = rebase("import { tempDir } from './helpers'\nconst d = import.meta.dir", TEST_DIR, to)
    expect(flat.text.split('\n')[0]).toBe("import { tempDir } from '../helpers'")
    expect(flat.warnings).toEqual([
      'line 2 uses import.meta.dir in a way this script does not rewrite: const d = import.meta.dir',
    ])
  })
})
