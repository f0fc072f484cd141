/**
 * The feature list at the composition root (src/features.ts) is the order features start
 * in and, reversed, the order they stop in; its static parts are what the core reads.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { dirname, join, relative, resolve } from 'node:path'
import { FEATURES, MIGRATIONS } from '../../src/features'
import { startRuntime, type TestRuntime } from '../helpers'

let rt: TestRuntime | undefined
afterEach(async () => {
  await rt?.dispose()
  rt = undefined
})

describe('the features of a running server', () => {
  test('start in the order of the list, each once', async () => {
    rt = await startRuntime()
    expect(Object.keys(rt.features)).toEqual(FEATURES.map((f) => f.name))
  })

  test('are listed after every feature whose index.ts they import', async () => {
    const src = resolve(import.meta.dir, '../../src')
    const position = new Map<string, number>(FEATURES.map((f, i) => [f.name, i]))
    const late: string[] = []
    for (const f of FEATURES) {
      for (const file of new Bun.Glob(`${f.name}/**/*.{ts,tsx}`).scanSync(src)) {
        const code = await Bun.file(join(src, file)).text()
        for (const m of code.matchAll(/from '(\.\.\/[./]*[a-z]+)'/g)) {
          const used = relative(src, resolve(src, dirname(file), m[1] as string))
          const at = position.get(used)
          if (at !== undefined && used !== f.name && at > (position.get(f.name) as number))
            late.push(`${f.name} (${file}) uses ${used}, listed later`)
        }
      }
    }
    expect(late).toEqual([])
  })

  test('stop what they started when the server closes: every cron job, the live streams', async () => {
    rt = await startRuntime()
    const jobs = Object.values(rt.app.store.cron as Record<string, { isStopped(): boolean }>)
    expect(jobs.length).toBe(2)
    expect(jobs.every((j) => !j.isStopped())).toBe(true)
    const closed = rt.features.dashboard.stream
    await rt.close()
    expect(jobs.every((j) => j.isStopped())).toBe(true)
    expect(closed.size).toBe(0)
  })

  test('declare only migrations of their own folder, none of them twice', () => {
    const paths = MIGRATIONS.flatMap((m) => m.parts.map((p) => p.path))
    expect(new Set(paths).size).toBe(paths.length)
    for (const f of FEATURES) for (const m of f.migrations) expect(paths).toContain(`${f.name}/${m.file}`)
  })
})
