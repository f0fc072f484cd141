/**
 * Request signing (docs/decisions.md, "Ingest"): `X-Signature` is the hex HMAC-SHA256 of the exact body bytes.
 * The key is the project's api key string when `X-Project-Key` is sent, otherwise the
 * default project's current key (the `auth.hmac_secret` until that key is rotated).
 * Comparison is constant-time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/

export type SignatureCheck = 'ok' | 'malformed' | 'mismatch'

export function sign(key: string, body: Uint8Array | string): string {
  return createHmac('sha256', key).update(body).digest('hex')
}

export function verifySignature(header: string, key: string, body: Uint8Array): SignatureCheck {
  if (!HEX_SHA256.test(header)) return 'malformed'
  const expected = createHmac('sha256', key).update(body).digest()
  return timingSafeEqual(expected, Buffer.from(header, 'hex')) ? 'ok' : 'mismatch'
}
