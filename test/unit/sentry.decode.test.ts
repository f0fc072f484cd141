/** Content-Encoding: round trips, the decompressed cap at its boundary, and bombs. */
import { describe, expect, test } from 'bun:test'
import zlib from 'node:zlib'
import { DecompressionBudget } from '../../src/sentry/budget'
import {
  brotliWindow,
  decodeBody,
  type Encoding,
  encodingOf,
  INFLATER_BYTES,
  inflaterCost,
} from '../../src/sentry/decode'

const MB = 1024 * 1024
/** For the cases about the cap alone: a budget nothing here comes close to. */
const unlimited = new DecompressionBudget(2 ** 40)
const decode = (b: Uint8Array, encoding: Encoding, max: number) =>
  decodeBody(b, encoding, max, unlimited.lease())
const body = new TextEncoder().encode(
  `{}\n{"type":"event"}\n${JSON.stringify({ message: 'é'.repeat(3000) })}\n`,
)

const compress = {
  gzip: (b: Uint8Array) => zlib.gzipSync(b),
  deflate: (b: Uint8Array) => zlib.deflateSync(b),
  br: (b: Uint8Array) => zlib.brotliCompressSync(b),
}

describe('encodingOf', () => {
  test('names the encodings Sentry SDKs send and refuses others', () => {
    expect(encodingOf(null)).toBe('identity')
    expect(encodingOf('')).toBe('identity')
    expect(encodingOf('identity')).toBe('identity')
    expect(encodingOf('GZIP')).toBe('gzip')
    expect(encodingOf('x-gzip')).toBe('gzip')
    expect(encodingOf(' deflate ')).toBe('deflate')
    expect(encodingOf('br')).toBe('br')
    expect(encodingOf('compress')).toBeNull()
    expect(encodingOf('gzip, br')).toBeNull()
  })
})

describe('decodeBody', () => {
  for (const encoding of ['gzip', 'deflate', 'br'] as const) {
    test(`inflates ${encoding} exactly`, async () => {
      const r = await decode(compress[encoding](body), encoding, MB)
      expect(r).toEqual({ ok: true, body: Buffer.from(body) })
    })

    test(`accepts ${encoding} output of exactly the cap and refuses one byte more`, async () => {
      const at = await decode(compress[encoding](body), encoding, body.byteLength)
      expect(at.ok).toBe(true)
      const over = await decode(compress[encoding](body), encoding, body.byteLength - 1)
      expect(over).toMatchObject({ ok: false, reason: 'too_large' })
    })
  }

  test('raw deflate (no zlib header), which some clients send as "deflate", inflates too', async () => {
    const r = await decode(zlib.deflateRawSync(body), 'deflate', MB)
    expect(r).toEqual({ ok: true, body: Buffer.from(body) })
  })

  test('identity bodies are checked against the cap without copying', async () => {
    expect(await decode(body, 'identity', body.byteLength)).toEqual({ ok: true, body })
    expect(await decode(body, 'identity', body.byteLength - 1)).toMatchObject({
      ok: false,
      reason: 'too_large',
    })
  })

  test('corrupt and truncated data are reported, not thrown', async () => {
    const gz = zlib.gzipSync(body)
    expect(await decode(gz.subarray(0, gz.length - 10), 'gzip', MB)).toMatchObject({
      ok: false,
      reason: 'corrupt',
    })
    expect(await decode(new TextEncoder().encode('not brotli at all'), 'br', MB)).toMatchObject({
      ok: false,
      reason: 'corrupt',
    })
    expect(await decode(new Uint8Array(0), 'gzip', MB)).toMatchObject({ ok: false, reason: 'corrupt' })
  })
})

describe('decompression bombs are refused without being expanded', () => {
  const LIMIT = 4 * MB
  /** Inflation stops within one output chunk past the cap (zlib emits 16-64 KB chunks). */
  const STOP_MARGIN = 256 * 1024

  test('gzip: 200 concatenated members of 1 MB of zeros (210 KB that inflate to 200 MB)', async () => {
    const member = zlib.gzipSync(Buffer.alloc(MB))
    const bomb = Buffer.concat(Array.from({ length: 200 }, () => member))
    expect(bomb.length).toBeLessThan(250 * 1024)
    const r = await decode(bomb, 'gzip', LIMIT)
    if (r.ok || r.reason !== 'too_large') throw new Error('expected the bomb to be refused as too large')
    expect(r.produced).toBeGreaterThan(LIMIT)
    expect(r.produced).toBeLessThan(LIMIT + STOP_MARGIN)
  })

  test('deflate: 64 MB of zeros in 64 KB', async () => {
    const bomb = zlib.deflateSync(Buffer.alloc(64 * MB), { level: 9 })
    expect(bomb.length).toBeLessThan(128 * 1024)
    const r = await decode(bomb, 'deflate', LIMIT)
    if (r.ok || r.reason !== 'too_large') throw new Error('expected the bomb to be refused as too large')
    expect(r.produced).toBeLessThan(LIMIT + STOP_MARGIN)
  })

  test('brotli: 64 MB of zeros in a few KB', async () => {
    const bomb = zlib.brotliCompressSync(Buffer.alloc(64 * MB), {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 },
    })
    expect(bomb.length).toBeLessThan(64 * 1024)
    const r = await decode(bomb, 'br', LIMIT)
    if (r.ok || r.reason !== 'too_large') throw new Error('expected the bomb to be refused as too large')
    expect(r.produced).toBeLessThan(LIMIT + STOP_MARGIN)
  })
})

describe('what an inflation costs before its first output', () => {
  test('a brotli stream declares its window in its first bits, 1 KB to 16 MB', () => {
    for (let lgwin = 10; lgwin <= 24; lgwin++) {
      const b = zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_LGWIN]: lgwin } })
      expect([lgwin, brotliWindow(b)]).toEqual([lgwin, 2 ** lgwin])
    }
    expect(brotliWindow(new Uint8Array(0))).toBe(0)
    // The large-window marker (0b0010001) is charged as the largest standard window.
    expect(brotliWindow(Uint8Array.of(0x11))).toBe(2 ** 24)
  })

  test('gzip and deflate cost their input and the inflater; brotli its window on top', () => {
    const gz = zlib.gzipSync(body)
    expect(inflaterCost('gzip', gz)).toBe(gz.byteLength + INFLATER_BYTES)
    expect(inflaterCost('deflate', gz)).toBe(gz.byteLength + INFLATER_BYTES)
    const br = zlib.brotliCompressSync(body)
    expect(inflaterCost('br', br)).toBe(br.byteLength + INFLATER_BYTES + 4 * MB)
  })
})

describe('decodeBody takes from the shared budget', () => {
  const LIMIT = 4 * MB
  const CHUNK = 64 * 1024
  const bomb = zlib.brotliCompressSync(Buffer.alloc(64 * MB), {
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 },
  })
  const setup = inflaterCost('br', bomb)

  test('an accepted body stays charged until the lease is released; the inflater is given back', async () => {
    const budget = new DecompressionBudget(64 * MB)
    const lease = budget.lease()
    const r = await decodeBody(zlib.gzipSync(body), 'gzip', MB, lease)
    expect(r).toEqual({ ok: true, body: Buffer.from(body) })
    expect(lease.held).toBe(body.byteLength)
    expect(budget.used).toBe(body.byteLength)
    lease.release()
    expect(budget.used).toBe(0)
  })

  test('while another request holds the budget a bomb is refused as busy and gives back all it took', async () => {
    const budget = new DecompressionBudget(setup + 10 * CHUNK + 1000)
    const other = budget.lease()
    expect(other.take(5 * CHUNK)).toBe('ok')
    const lease = budget.lease()
    const r = await decodeBody(bomb, 'br', LIMIT, lease)
    // Setup and 5 chunks fit beside the other request; the 6th does not.
    expect(r).toEqual({ ok: false, reason: 'busy', produced: 6 * CHUNK })
    expect(lease.held).toBe(0)
    expect(budget.used).toBe(5 * CHUNK)
    other.release()
    expect(budget.used).toBe(0)
  })

  test('a body that alone needs more than the whole budget is refused as over budget, not busy', async () => {
    const small = new DecompressionBudget(setup - 1)
    expect(await decodeBody(bomb, 'br', LIMIT, small.lease())).toEqual({
      ok: false,
      reason: 'over_budget',
      needed: setup,
    })
    const budget = new DecompressionBudget(setup + CHUNK + 1000)
    const lease = budget.lease()
    expect(await decodeBody(bomb, 'br', LIMIT, lease)).toEqual({
      ok: false,
      reason: 'over_budget',
      needed: setup + 2 * CHUNK,
    })
    expect(budget.used).toBe(0)
  })

  test('a corrupt body and a body over the cap give back everything', async () => {
    const budget = new DecompressionBudget(64 * MB)
    const gz = zlib.gzipSync(body)
    expect(await decodeBody(gz.subarray(0, gz.length - 10), 'gzip', MB, budget.lease())).toMatchObject({
      reason: 'corrupt',
    })
    expect(await decodeBody(bomb, 'br', LIMIT, budget.lease())).toMatchObject({ reason: 'too_large' })
    expect(budget.used).toBe(0)
  })

  test('190 bombs at once never take more than the budget, and leave it whole', async () => {
    const budget = new DecompressionBudget(64 * MB)
    let peak = 0
    const watch = setInterval(() => {
      peak = Math.max(peak, budget.used)
    }, 1)
    const results = await Promise.all(
      Array.from({ length: 190 }, () => decodeBody(bomb, 'br', LIMIT, budget.lease())),
    )
    clearInterval(watch)
    const reasons = new Set(results.map((r) => (r.ok ? 'ok' : r.reason)))
    expect([...reasons].sort()).toEqual(['busy', 'too_large'])
    expect(peak).toBeGreaterThan(0)
    expect(peak).toBeLessThanOrEqual(64 * MB)
    expect(budget.used).toBe(0)
  })
})
