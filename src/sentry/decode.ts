/**
 * Request bodies compressed with `Content-Encoding`: gzip and deflate (browser
 * and Node SDKs, Relay) and br (the Python SDK's default). The compressed size is capped
 * by the caller before this runs; here the decompressed size is capped while inflating,
 * and every byte inflated is taken from the process-wide budget (./budget.ts) first.
 *
 * The output is pulled from node:zlib one chunk (64 KB) at a time, so the inflater only
 * runs as far as it is read: a decompression bomb (a few KB that inflate to gigabytes)
 * stops at the first chunk over the cap or over the budget, and costs at most the cap
 * plus one chunk and the inflater's own memory, never its full size. On every refusal the
 * inflater is destroyed and the chunks are dropped before this returns, so their memory
 * is given back to the budget (and can be collected) at once.
 *
 * "deflate" in HTTP means the zlib format (RFC 1950), but some clients send raw deflate
 * (RFC 1951); the two are told apart by the zlib header, as browsers and curl do.
 */
import zlib from 'node:zlib'
import type { Lease } from './budget'

export type Encoding = 'identity' | 'gzip' | 'deflate' | 'br'

export type Decoded =
  | { ok: true; body: Uint8Array }
  | { ok: false; reason: 'too_large'; produced: number }
  /** The shared budget is spent for now; the same body may be accepted a moment later. */
  | { ok: false; reason: 'busy'; produced: number }
  /** This body alone needs more than the whole budget (`needed` bytes so far). */
  | { ok: false; reason: 'over_budget'; needed: number }
  | { ok: false; reason: 'corrupt'; error: string }

/** The encoding named by a Content-Encoding header; null for one we do not decode. */
export function encodingOf(header: string | null): Encoding | null {
  const v = (header ?? '').trim().toLowerCase()
  if (v === '' || v === 'identity') return 'identity'
  if (v === 'gzip' || v === 'x-gzip') return 'gzip'
  if (v === 'deflate') return 'deflate'
  if (v === 'br') return 'br'
  return null
}

/**
 * Output chunk size. 64 KB rather than node:zlib's 16 KB: a 4 MB bomb then takes 64 round
 * trips to the inflater's thread instead of 256, which measured 28 ms of work instead of
 * 73 ms on a cap of 4 MB, and a typical envelope still inflates in one chunk.
 */
const CHUNK_BYTES = 64 * 1024

/**
 * Memory of one inflater besides its window and the output it has handed over: state and
 * the output chunk being filled. Measured with Bun 1.4.5 and 64 KB chunks as 164 KB per
 * open gzip or deflate stream (whose 32 KB window it includes) and ~130 KB plus the
 * window per brotli stream.
 */
export const INFLATER_BYTES = 192 * 1024

/**
 * The window a brotli stream declares in its first bits (RFC 7932, section 9.1): the
 * decoder allocates its ring buffer up to this size, 1 KB to 16 MB, before the first
 * output, so a bomb costs it in full. Empty input declares nothing (and fails to decode).
 */
export function brotliWindow(body: Uint8Array): number {
  const first = body[0]
  if (first === undefined) return 0
  if ((first & 1) === 0) return 2 ** 16
  const large = (first >> 1) & 7
  if (large !== 0) return 2 ** (17 + large)
  const small = (first >> 4) & 7
  if (small === 0) return 2 ** 17
  // 1 marks the large-window extension (up to 1 GB), which the decoder refuses unless
  // asked for; it is charged as the largest standard window until it does.
  return small === 1 ? 2 ** 24 : 2 ** (8 + small)
}

/** What an inflation of `body` holds before its first output: the input, state and window. */
export function inflaterCost(encoding: Exclude<Encoding, 'identity'>, body: Uint8Array): number {
  return body.byteLength + INFLATER_BYTES + (encoding === 'br' ? brotliWindow(body) : 0)
}

const isZlibHeader = (b: Uint8Array) =>
  b.length >= 2 && ((b[0] as number) & 0x0f) === 8 && (((b[0] as number) << 8) | (b[1] as number)) % 31 === 0

function inflater(encoding: Exclude<Encoding, 'identity'>, body: Uint8Array) {
  const options = { chunkSize: CHUNK_BYTES }
  if (encoding === 'gzip') return zlib.createGunzip(options)
  if (encoding === 'br') return zlib.createBrotliDecompress(options)
  return isZlibHeader(body) ? zlib.createInflate(options) : zlib.createInflateRaw(options)
}

/**
 * Decompresses `body` per `encoding`, refusing output over `maxBytes` (exactly `maxBytes`
 * is accepted) and whatever `lease` cannot take. `produced` on a refusal is how much was
 * inflated before stopping. On success the lease keeps the output's bytes (the caller
 * releases them once the body is no longer needed) and gets the inflater's back; on a
 * refusal it gets back everything taken here.
 */
export async function decodeBody(
  body: Uint8Array,
  encoding: Encoding,
  maxBytes: number,
  lease: Lease,
): Promise<Decoded> {
  if (encoding === 'identity') {
    // Already in memory whole, within the cap on bodies as received: nothing to take.
    return body.byteLength > maxBytes
      ? { ok: false, reason: 'too_large', produced: body.byteLength }
      : { ok: true, body }
  }
  const setup = inflaterCost(encoding, body)
  const first = lease.take(setup)
  if (first !== 'ok') return refusal(first, 0, lease.held + setup)
  const z = inflater(encoding, body)
  const chunks: Buffer[] = []
  let produced = 0
  let kept = 0
  let result: Decoded | null = null
  try {
    z.end(body)
    for await (const chunk of z as AsyncIterable<Buffer>) {
      produced += chunk.byteLength
      if (produced > maxBytes) {
        result = { ok: false, reason: 'too_large', produced }
        break
      }
      const took = lease.take(chunk.byteLength)
      if (took !== 'ok') {
        result = refusal(took, produced, lease.held + chunk.byteLength)
        break
      }
      kept += chunk.byteLength
      chunks.push(chunk)
    }
    result ??= { ok: true, body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks) }
  } catch (err) {
    result = { ok: false, reason: 'corrupt', error: (err as Error).message }
  } finally {
    z.destroy()
    lease.give(setup)
    if (!result?.ok) {
      chunks.length = 0
      lease.give(kept)
    }
  }
  return result
}

function refusal(took: 'busy' | 'never', produced: number, needed: number): Decoded {
  return took === 'busy'
    ? { ok: false, reason: 'busy', produced }
    : { ok: false, reason: 'over_budget', needed }
}
