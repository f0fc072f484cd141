/**
 * core/jobs.ts on in-process leases (SQLite's, storage/lease.ts LocalLeases): a job runs
 * once per interval, never overlaps itself, survives a failing run, stops cleanly, and is
 * told through its signal when its lease is taken over. The PostgreSQL leases are tested
 * in test/http/storage.nodes.test.ts and across processes in test/process/nodes.postgres.test.ts.
 */
import { describe, expect, test } from 'bun:test'
import { Jobs } from '../../src/core/jobs'
import { LocalLeases } from '../../src/storage/lease'

const logged: string[] = []
const until = async (ok: () => boolean) => {
  for (let i = 0; i < 500 && !ok(); i++) await Bun.sleep(5)
}
const log = { error: (message: string) => void logged.push(message) }

describe('Jobs.runOnce on local leases', () => {
  test('runs once per 50 ms interval, each slot once', async () => {
    const jobs = new Jobs(new LocalLeases(), log)
    const slots: number[] = []
    const job = jobs.runOnce('t', 50, ({ slot }) => void slots.push(slot))
    await Bun.sleep(620)
    await job.stop()
    expect(new Set(slots).size).toBe(slots.length)
    expect(slots).toEqual([...slots].sort((a, b) => a - b))
    // 12 or 13 slot starts in 620 ms (the first run is at once, in the slot running at start).
    expect(slots.length).toBeGreaterThanOrEqual(11)
    expect(slots.length).toBeLessThanOrEqual(14)
    expect(job.runs).toBe(slots.length)
  })

  test('a run longer than its interval never overlaps the next; the slots it spans are skipped', async () => {
    const jobs = new Jobs(new LocalLeases(), log)
    let active = 0
    let most = 0
    const slots: number[] = []
    const job = jobs.runOnce('slow', 50, async ({ slot }) => {
      active++
      most = Math.max(most, active)
      slots.push(slot)
      await Bun.sleep(120)
      active--
    })
    await Bun.sleep(700)
    await job.stop()
    expect(most).toBe(1)
    expect(slots.length).toBeGreaterThanOrEqual(3)
    for (let i = 1; i < slots.length; i++)
      expect((slots[i] as number) - (slots[i - 1] as number)).toBeGreaterThanOrEqual(2)
  })

  test('a run that throws is logged and the next interval runs again', async () => {
    const jobs = new Jobs(new LocalLeases(), log)
    let calls = 0
    const job = jobs.runOnce('fails', 40, () => {
      calls++
      throw new Error('boom')
    })
    await Bun.sleep(200)
    await job.stop()
    expect(calls).toBeGreaterThanOrEqual(3)
    expect(logged).toContain('scheduled job failed; the next interval runs it again')
  })

  test('stop() waits for the run in progress and nothing runs after it', async () => {
    const jobs = new Jobs(new LocalLeases(), log)
    let finished = 0
    let started = 0
    const job = jobs.runOnce('long', 1000, async () => {
      started++
      await Bun.sleep(150)
      finished++
    })
    await Bun.sleep(30)
    expect(started).toBe(1)
    await jobs.stop()
    expect(finished).toBe(1)
    expect(job.nextRunAt()).toBeNull()
    await Bun.sleep(100)
    expect(started).toBe(1)
  })

  test('aborts the run signal when the lease renewal answers that another node took it', async () => {
    class Lost extends LocalLeases {
      override async renew() {
        return false
      }
    }
    const jobs = new Jobs(new Lost(), log)
    let aborted: unknown = null
    const job = jobs.runOnce(
      'fenced',
      1000,
      async ({ signal }) => {
        await Bun.sleep(100)
        aborted = signal.aborted ? String(signal.reason) : 'not aborted'
      },
      { leaseMs: 30 },
    )
    await Bun.sleep(200)
    await job.stop()
    expect(aborted).toBe('Error: the lease of job fenced was taken over')
  })

  test('aborts the run signal when the lease cannot be renewed for longer than the lease', async () => {
    class Away extends LocalLeases {
      override async renew(): Promise<boolean> {
        throw new Error('connection closed')
      }
    }
    const jobs = new Jobs(new Away(), log)
    let reason: unknown = null
    let abortedAfter = 0
    const job = jobs.runOnce(
      'away',
      1000,
      async ({ signal }) => {
        const t0 = performance.now()
        await new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => resolve(), { once: true }),
        )
        abortedAfter = performance.now() - t0
        reason = String(signal.reason)
      },
      { leaseMs: 60 },
    )
    await until(() => reason !== null)
    await job.stop()
    expect(reason).toBe('Error: the lease of job away could not be renewed for 60 ms')
    // Not before the lease ran out, and at the first failed renewal after it (every 20 ms).
    expect(abortedAfter).toBeGreaterThanOrEqual(60)
    expect(abortedAfter).toBeLessThan(200)
  })

  test('refuses an interval under 10 ms', () => {
    const jobs = new Jobs(new LocalLeases(), log)
    expect(() => jobs.runOnce('x', 9, () => {})).toThrow(
      'expected an interval of at least 10 ms for job x, got 9',
    )
  })
})

describe('LocalLeases', () => {
  test('a slot is claimed once; a held lease blocks the next slot until released or lapsed', async () => {
    let now = 1_000
    const leases = new LocalLeases('me', () => now)
    expect(await leases.claim('j', 100, 250)).toEqual({ now: 1000, claimed: 10, heldUntil: 1250 })
    expect((await leases.claim('j', 100, 250)).claimed).toBeNull()
    now = 1_100
    expect(await leases.claim('j', 100, 250)).toEqual({ now: 1100, claimed: null, heldUntil: 1250 })
    now = 1_250
    expect((await leases.claim('j', 100, 250)).claimed).toBe(12)
    await leases.release('j', 12)
    now = 1_300
    expect((await leases.claim('j', 100, 250)).claimed).toBe(13)
    expect(await leases.renew('j', 12, 250)).toBe(false)
    expect(await leases.renew('j', 13, 250)).toBe(true)
  })
})
