/**
 * Request bodies compressed with `Content-Encoding` (SPEC 9): gzip and deflate (browser
 * and Node SDKs, Relay) and br (the Python SDK's default). The compressed size is capped
 * by the caller before this runs; here the decompressed size is capped while inflating:
 * node:zlib streams the output in chunks and we stop at the first chunk over the limit,
 * so a decompression bomb (a few KB that inflate to gigabytes) costs at most the limit
 * plus one chunk of memory, never its full size.
 *
 * "deflate" in HTTP means the zlib format (RFC 1950), but some clients send raw deflate
 * (RFC 1951); the two are told apart by the zlib header, as browsers and curl do.
 */
import zlib from 'node:zlib'

export type Encoding = 'identity' | 'gzip' | 'deflate' | 'br'

export type Decoded =
  | { ok: true; body: Uint8Array }
  | { ok: false; reason: 'too_large'; produced: number }
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

const isZlibHeader = (b: Uint8Array) =>
  b.length >= 2 && ((b[0] as number) & 0x0f) === 8 && (((b[0] as number) << 8) | (b[1] as number)) % 31 === 0

function inflater(encoding: Exclude<Encoding, 'identity'>, body: Uint8Array) {
  if (encoding === 'gzip') return zlib.createGunzip()
  if (encoding === 'br') return zlib.createBrotliDecompress()
  return isZlibHeader(body) ? zlib.createInflate() : zlib.createInflateRaw()
}

/**
 * Decompresses `body` per `encoding`, refusing output over `maxBytes`. Exactly `maxBytes`
 * is accepted. `produced` on a refusal is how much was inflated before stopping.
 */
export function decodeBody(body: Uint8Array, encoding: Encoding, maxBytes: number): Promise<Decoded> {
  if (encoding === 'identity') {
    return Promise.resolve(
      body.byteLength > maxBytes
        ? { ok: false, reason: 'too_large', produced: body.byteLength }
        : { ok: true, body },
    )
  }
  return new Promise((resolve) => {
    const z = inflater(encoding, body)
    const chunks: Buffer[] = []
    let produced = 0
    let settled = false
    const settle = (d: Decoded) => {
      if (settled) return
      settled = true
      resolve(d)
    }
    z.on('data', (chunk: Buffer) => {
      if (settled) return
      produced += chunk.byteLength
      if (produced > maxBytes) {
        settle({ ok: false, reason: 'too_large', produced })
        z.destroy()
        return
      }
      chunks.push(chunk)
    })
    z.on('end', () =>
      settle({ ok: true, body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks) }),
    )
    z.on('error', (err) => settle({ ok: false, reason: 'corrupt', error: err.message }))
    z.end(body)
  })
}
