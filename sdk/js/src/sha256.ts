/**
 * SHA-256 and HMAC-SHA256 in plain JavaScript (FIPS 180-4, RFC 2104), for runtimes without
 * Web Crypto (React Native's Hermes). Bodies the SDK signs are at most a few hundred KB, so
 * a straightforward implementation is fast enough; the unit tests compare it with
 * node:crypto on lengths around every block boundary.
 */
import { type Signer, toHex } from './hmac'

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
])

export function sha256(data: Uint8Array): Uint8Array {
  const h = new Uint32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ])
  // Padding: 0x80, zeros, then the bit length as a 64-bit big-endian integer.
  const total = Math.ceil((data.length + 9) / 64) * 64
  const msg = new Uint8Array(total)
  msg.set(data)
  msg[data.length] = 0x80
  const view = new DataView(msg.buffer)
  const bits = data.length * 8
  view.setUint32(total - 8, Math.floor(bits / 0x100000000))
  view.setUint32(total - 4, bits >>> 0)
  const w = new Uint32Array(64)
  for (let off = 0; off < total; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(off + i * 4)
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15] as number
      const b = w[i - 2] as number
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3)
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10)
      w[i] = ((w[i - 16] as number) + s0 + (w[i - 7] as number) + s1) | 0
    }
    let [a, b, c, d, e, f, g, hh] = h as unknown as number[]
    for (let i = 0; i < 64; i++) {
      const e_ = e as number
      const a_ = a as number
      const S1 = ((e_ >>> 6) | (e_ << 26)) ^ ((e_ >>> 11) | (e_ << 21)) ^ ((e_ >>> 25) | (e_ << 7))
      const ch = (e_ & (f as number)) ^ (~e_ & (g as number))
      const t1 = ((hh as number) + S1 + ch + (K[i] as number) + (w[i] as number)) | 0
      const S0 = ((a_ >>> 2) | (a_ << 30)) ^ ((a_ >>> 13) | (a_ << 19)) ^ ((a_ >>> 22) | (a_ << 10))
      const maj = (a_ & (b as number)) ^ (a_ & (c as number)) ^ ((b as number) & (c as number))
      const t2 = (S0 + maj) | 0
      hh = g
      g = f
      f = e
      e = ((d as number) + t1) | 0
      d = c
      c = b
      b = a
      a = (t1 + t2) | 0
    }
    const out = [a, b, c, d, e, f, g, hh] as number[]
    for (let i = 0; i < 8; i++) h[i] = ((h[i] as number) + (out[i] as number)) | 0
  }
  const digest = new Uint8Array(32)
  const dv = new DataView(digest.buffer)
  for (let i = 0; i < 8; i++) dv.setUint32(i * 4, h[i] as number)
  return digest
}

export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  const block = new Uint8Array(64)
  block.set(key.length > 64 ? sha256(key) : key)
  const inner = new Uint8Array(64 + data.length)
  const outer = new Uint8Array(64 + 32)
  for (let i = 0; i < 64; i++) {
    inner[i] = (block[i] as number) ^ 0x36
    outer[i] = (block[i] as number) ^ 0x5c
  }
  inner.set(data, 64)
  outer.set(sha256(inner), 64)
  return sha256(outer)
}

const encoder = new TextEncoder()

export const pureSigner: Signer = {
  hmac: async (key, body) => toHex(hmacSha256(encoder.encode(key), body)),
  sha256: async (text) => toHex(sha256(encoder.encode(text))),
}
