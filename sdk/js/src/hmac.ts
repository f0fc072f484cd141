/**
 * Request signing: `X-Signature` is the lowercase hex HMAC-SHA256 of the exact body bytes,
 * keyed with the project key (docs/sdk.md). Web Crypto (`crypto.subtle`) is used where the
 * runtime has it: browsers, Node 18+, Bun, Deno and edge workers. React Native's Hermes has
 * no `crypto.subtle`, so its entry point passes the small pure implementation in sha256.ts
 * instead; keeping that out of this file keeps it out of the browser bundle.
 */

export interface Signer {
  /** Hex HMAC-SHA256 of `body` under `key`. */
  hmac(key: string, body: Uint8Array): Promise<string>
  /** Hex SHA-256 of `text` (UTF-8), used to hash user ids before they leave the device. */
  sha256(text: string): Promise<string>
}

const encoder = new TextEncoder()

export function toHex(bytes: Uint8Array): string {
  let out = ''
  for (const b of bytes) out += (b < 16 ? '0' : '') + b.toString(16)
  return out
}

/** A Signer over Web Crypto, or null when the runtime has none. */
export function webCryptoSigner(): Signer | null {
  const subtle = (globalThis as { crypto?: Crypto }).crypto?.subtle
  if (!subtle) return null
  // Importing a key costs more than signing a small body: keep one per project key.
  const keys = new Map<string, Promise<CryptoKey>>()
  return {
    async hmac(key, body) {
      let k = keys.get(key)
      if (!k) {
        k = subtle.importKey('raw', encoder.encode(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
        keys.set(key, k)
      }
      return toHex(new Uint8Array(await subtle.sign('HMAC', await k, body as BufferSource)))
    },
    async sha256(text) {
      return toHex(new Uint8Array(await subtle.digest('SHA-256', encoder.encode(text))))
    },
  }
}
