/** Content-Encoding: round trips, the decompressed cap at its boundary, and bombs. */
import { describe, expect, test } from 'bun:test'
import zlib from 'node:zlib'
import { decodeBody, encodingOf } from '../src/sentry/decode'

const MB = 1024 * 1024
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
      const r = await decodeBody(compress[encoding](body), encoding, MB)
      expect(r).toEqual({ ok: true, body: Buffer.from(body) })
    })

    test(`accepts ${encoding} output of exactly the cap and refuses one byte more`, async () => {
      const at = await decodeBody(compress[encoding](body), encoding, body.byteLength)
      expect(at.ok).toBe(true)
      const over = await decodeBody(compress[encoding](body), encoding, body.byteLength - 1)
      expect(over).toMatchObject({ ok: false, reason: 'too_large' })
    })
  }

  test('raw deflate (no zlib header), which some clients send as "deflate", inflates too', async () => {
    const r = await decodeBody(zlib.deflateRawSync(body), 'deflate', MB)
    expect(r).toEqual({ ok: true, body: Buffer.from(body) })
  })

  test('identity bodies are checked against the cap without copying', async () => {
    expect(await decodeBody(body, 'identity', body.byteLength)).toEqual({ ok: true, body })
    expect(await decodeBody(body, 'identity', body.byteLength - 1)).toMatchObject({
      ok: false,
      reason: 'too_large',
    })
  })

  test('corrupt and truncated data are reported, not thrown', async () => {
    const gz = zlib.gzipSync(body)
    expect(await decodeBody(gz.subarray(0, gz.length - 10), 'gzip', MB)).toMatchObject({
      ok: false,
      reason: 'corrupt',
    })
    expect(await decodeBody(new TextEncoder().encode('not brotli at all'), 'br', MB)).toMatchObject({
      ok: false,
      reason: 'corrupt',
    })
    expect(await decodeBody(new Uint8Array(0), 'gzip', MB)).toMatchObject({ ok: false, reason: 'corrupt' })
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
    const r = await decodeBody(bomb, 'gzip', LIMIT)
    if (r.ok || r.reason !== 'too_large') throw new Error('expected the bomb to be refused as too large')
    expect(r.produced).toBeGreaterThan(LIMIT)
    expect(r.produced).toBeLessThan(LIMIT + STOP_MARGIN)
  })

  test('deflate: 64 MB of zeros in 64 KB', async () => {
    const bomb = zlib.deflateSync(Buffer.alloc(64 * MB), { level: 9 })
    expect(bomb.length).toBeLessThan(128 * 1024)
    const r = await decodeBody(bomb, 'deflate', LIMIT)
    if (r.ok || r.reason !== 'too_large') throw new Error('expected the bomb to be refused as too large')
    expect(r.produced).toBeLessThan(LIMIT + STOP_MARGIN)
  })

  test('brotli: 64 MB of zeros in a few KB', async () => {
    const bomb = zlib.brotliCompressSync(Buffer.alloc(64 * MB), {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 },
    })
    expect(bomb.length).toBeLessThan(64 * 1024)
    const r = await decodeBody(bomb, 'br', LIMIT)
    if (r.ok || r.reason !== 'too_large') throw new Error('expected the bomb to be refused as too large')
    expect(r.produced).toBeLessThan(LIMIT + STOP_MARGIN)
  })
})
