/**
 * Every test file sits in the tier that matches what it starts (ARCHITECTURE.md, "Tests"),
 * so `npm run test:unit` stays a loop of seconds and each tier's command runs what its
 * name says. A tier may use what the tiers before it use, never what comes after:
 *
 *   unit     no server: not the app (startRuntime, serve), no spawned bloop, no browser
 *   http     the app in this process; no spawned bloop, no browser
 *   process  bloop as a child process; no browser
 *   browser  anything, Chromium included
 */
import { describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const TEST = join(import.meta.dir, '..')
const TIERS = ['unit', 'http', 'process', 'browser'] as const
type Tier = (typeof TIERS)[number]

/** What each tier's files may not start, by the name of the helper that starts it. */
const STARTS: Record<Exclude<Tier, 'unit'>, RegExp> = {
  http: /\b(startRuntime|startDashboardServer)\(|\bserve\(|\.handle\(/,
  process: /\b(spawnServer|startBloop|bloop)\(|from '\.\.\/cli\.process'/,
  browser: /\blaunchChromium\(|\brunInChromium\(/,
}

async function testFiles(): Promise<string[]> {
  const out: string[] = []
  for await (const path of new Bun.Glob('**/*.test.ts').scan({ cwd: TEST })) out.push(path)
  return out.sort()
}

describe('test tiers', () => {
  test('every test file is in test/unit, test/http, test/process or test/browser', async () => {
    const outside = (await testFiles()).filter((p) => !TIERS.some((t) => p.startsWith(`${t}/`)))
    expect(
      outside.map((p) => `test/${p}: move it (git mv) into the tier that matches what it starts`),
    ).toEqual([])
  })

  test('no test file starts what a later tier is for', async () => {
    const misplaced: string[] = []
    for (const path of await testFiles()) {
      const tier = TIERS.indexOf(path.split('/')[0] as Tier)
      if (tier < 0) continue
      const text = readFileSync(join(TEST, path), 'utf8')
      for (const [i, later] of TIERS.entries()) {
        if (i <= tier || later === 'unit') continue
        if (STARTS[later].test(text)) misplaced.push(`test/${path} starts what test/${later} is for`)
      }
    }
    expect(misplaced).toEqual([])
  })
})
