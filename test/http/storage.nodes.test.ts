/**
 * The cluster primitives in one process on real databases (docs/ARCHITECTURE.md, "Several
 * nodes"): the lease rows of storage/lease.ts on PostgreSQL, two backends standing for two
 * nodes; and the bus of storage/bus.ts on both backends (parameterised), with its payload
 * cap at the boundary PostgreSQL itself enforces.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { busFor, PAYLOAD_MAX_BYTES } from '../../src/storage/bus'
import { leasesFor } from '../../src/storage/lease'
import { BACKENDS, closeBackends, freshBackend, privatePgPerFile } from '../pg.helpers'

const pg = privatePgPerFile()
const log = { error: () => {} }
afterAll(closeBackends)

const until = async (ok: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out')
    await Bun.sleep(5)
  }
}

describe('lease rows on PostgreSQL', () => {
  test('two nodes asking for the same interval at once: exactly one wins it', async () => {
    const { backend, another } = await freshBackend('postgres', pg(), { migrated: true })
    const other = await another()
    const a = leasesFor(backend, 'a')
    const b = leasesFor(other, 'b')
    // Ten rounds of simultaneous claims, each for a new 1-hour interval's worth of ms: a
    // distinct job name per round so each starts from no row (the first insert races too).
    for (let i = 0; i < 10; i++) {
      const [ca, cb] = await Promise.all([
        a.claim(`race${i}`, 3_600_000, 1000),
        b.claim(`race${i}`, 3_600_000, 1000),
      ])
      const winners = [ca, cb].filter((c) => c.claimed !== null)
      expect(winners.length).toBe(1)
      expect(winners[0]?.claimed).toBe(Math.floor((winners[0]?.now as number) / 3_600_000))
      const rows = await backend.all('SELECT holder FROM job_leases WHERE name = ?', [`race${i}`])
      expect(rows).toEqual([{ holder: ca.claimed !== null ? 'a' : 'b' }])
    }
  })

  test('a holder that dies mid-run keeps the job until its lease lapses; then another node takes the next interval', async () => {
    const { backend, another } = await freshBackend('postgres', pg(), { migrated: true })
    const a = leasesFor(backend, 'a')
    const b = leasesFor(await another(), 'b')
    const first = await a.claim('sweep', 100, 400)
    expect(first.claimed).not.toBeNull()
    // "a" never renews nor releases: it was killed. Two intervals later "b" is still refused.
    await Bun.sleep(220)
    const refused = await b.claim('sweep', 100, 400)
    expect(refused.claimed).toBeNull()
    expect(refused.heldUntil).toBe(first.now + 400)
    await Bun.sleep(Math.max(0, refused.heldUntil - refused.now) + 5)
    const taken = await b.claim('sweep', 100, 400)
    expect(taken.claimed).toBe(Math.floor(taken.now / 100))
    // The fencing answer: "a", back from the dead, learns the job is no longer its.
    expect(await a.renew('sweep', first.claimed as number, 400)).toBe(false)
    expect(await b.renew('sweep', taken.claimed as number, 400)).toBe(true)
  })

  test('a released interval is not run again, and the next one is free at once', async () => {
    const { backend, another } = await freshBackend('postgres', pg(), { migrated: true })
    const a = leasesFor(backend, 'a')
    const b = leasesFor(await another(), 'b')
    const c = await a.claim('j', 300, 300)
    await a.release('j', c.claimed as number)
    const again = await b.claim('j', 300, 300)
    // Still the same interval: nobody runs it twice. (Unless the interval just ended.)
    if (Math.floor(again.now / 300) === c.claimed) expect(again.claimed).toBeNull()
    await Bun.sleep(300 - (again.now % 300) + 5)
    const next = await b.claim('j', 300, 300)
    expect(next.claimed).toBe(Math.floor(next.now / 300))
    expect(next.claimed as number).toBeGreaterThan(c.claimed as number)
  })
})

for (const kind of BACKENDS) {
  describe(`the bus on ${kind}`, () => {
    test('a message reaches every subscription of every node, the sender included, in order', async () => {
      const { backend, another } = await freshBackend(kind, pg(), { migrated: true })
      const sender = busFor(backend, log)
      // On SQLite one process is the only node; on PostgreSQL another backend is another node.
      const other = kind === 'postgres' ? busFor(await another(), log) : sender
      const atSender: unknown[] = []
      const atOther: unknown[] = []
      await sender.subscribe('keys', (p) => atSender.push(p))
      await other.subscribe('keys', (p) => atOther.push(p))
      await sender.publish('keys', { project: 7, rotated: true })
      await sender.publish('keys', { project: 8 })
      await until(() => atSender.length === 2 && atOther.length === 2)
      expect(atSender).toEqual([{ project: 7, rotated: true }, { project: 8 }])
      expect(atOther).toEqual(atSender)
      await sender.close()
      await other.close()
    })

    test(`a payload of ${PAYLOAD_MAX_BYTES} bytes is delivered; one byte more is refused`, async () => {
      const { backend } = await freshBackend(kind, pg(), { migrated: true })
      const bus = busFor(backend, log)
      const got: unknown[] = []
      await bus.subscribe('big', (p) => got.push(p))
      const fits = 'x'.repeat(PAYLOAD_MAX_BYTES - 2)
      await bus.publish('big', fits)
      await expect(bus.publish('big', `${fits}y`)).rejects.toThrow(
        `expected a bus payload of at most 7999 bytes on big, got 8000`,
      )
      await until(() => got.length === 1)
      expect(got).toEqual([fits])
      await bus.close()
    })

    test('a subscriber that throws does not keep the message from the others; unsubscribe stops delivery', async () => {
      const { backend } = await freshBackend(kind, pg(), { migrated: true })
      const errors: string[] = []
      const bus = busFor(backend, { error: (m) => void errors.push(m) })
      const got: unknown[] = []
      await bus.subscribe('policy', () => {
        throw new Error('bad subscriber')
      })
      const sub = await bus.subscribe('policy', (p) => got.push(p))
      await bus.publish('policy', 1)
      await until(() => got.length === 1 && errors.length === 1)
      expect(errors).toEqual(['bus subscriber failed'])
      await sub.unsubscribe()
      await bus.publish('policy', 2)
      await until(() => errors.length === 2)
      expect(got).toEqual([1])
      await bus.close()
    })

    test('refuses a channel that is not a short lowercase word', async () => {
      const { backend } = await freshBackend(kind, pg(), { migrated: true })
      const bus = busFor(backend, log)
      await expect(bus.publish('Keys; DROP', 1)).rejects.toThrow(
        'expected a channel of lowercase letters, digits and _ (at most 48), got "Keys; DROP"',
      )
      await expect(bus.subscribe('a'.repeat(49), () => {})).rejects.toThrow('expected a channel of lowercase')
      await bus.subscribe('a'.repeat(48), () => {})
      await bus.close()
    })
  })
}
