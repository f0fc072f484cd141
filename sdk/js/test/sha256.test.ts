import { describe, expect, test } from 'bun:test'
import { createHash, createHmac } from 'node:crypto'
import { webCryptoSigner } from '../src/hmac'
import { hmacSha256, pureSigner, sha256 } from '../src/sha256'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff)

describe('pure SHA-256 (the React Native signer)', () => {
  test('matches node:crypto for every length around the 64-byte block and padding boundaries', () => {
    for (let n = 0; n <= 200; n++) {
      const data = bytes(n)
      expect(hex(sha256(data))).toBe(createHash('sha256').update(data).digest('hex'))
    }
  })

  test('HMAC matches node:crypto for short, block-sized and over-long keys', () => {
    for (const keyLen of [0, 1, 32, 63, 64, 65, 200]) {
      const key = bytes(keyLen)
      const data = bytes(1000)
      expect(hex(hmacSha256(key, data))).toBe(createHmac('sha256', key).update(data).digest('hex'))
    }
  })

  test('the pure and the Web Crypto signers agree on a UTF-8 body and key', async () => {
    const web = webCryptoSigner()
    if (!web) throw new Error('expected crypto.subtle in Bun')
    const body = new TextEncoder().encode('{"message":"naïve café ☕ 𝄞"}')
    expect(await pureSigner.hmac('clé-🔑', body)).toBe(await web.hmac('clé-🔑', body))
    expect(await pureSigner.sha256('user-42')).toBe(createHash('sha256').update('user-42').digest('hex'))
    expect(await web.sha256('user-42')).toBe(createHash('sha256').update('user-42').digest('hex'))
  })
})
