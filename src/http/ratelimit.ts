/**
 * Token buckets per key (a client IP; for refused credentials also the credential's
 * prefix): `perSecond` tokens are added each second up to `burst`; a request takes one.
 * The client IP is the socket address; X-Forwarded-For is believed only when the socket
 * address is a configured trusted proxy.
 */
import { AppError } from './errors'

interface Bucket {
  tokens: number
  at: number
}

/** Entries beyond this are evicted oldest-first, so a spoofed-IP flood cannot grow memory. */
const MAX_BUCKETS = 100_000

export class RateLimiter {
  private buckets = new Map<string, Bucket>()

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes a token for `key`; returns 0 when allowed, else the seconds until one is available. */
  take(key: string): number {
    const now = this.now()
    let b = this.buckets.get(key)
    if (b) {
      // A clock that steps backwards (NTP) must not drain the bucket.
      b.tokens = Math.min(this.burst, b.tokens + (Math.max(0, now - b.at) / 1000) * this.perSecond)
      b.at = now
      this.buckets.delete(key)
      this.buckets.set(key, b)
    } else {
      b = { tokens: this.burst, at: now }
      this.buckets.set(key, b)
      if (this.buckets.size > MAX_BUCKETS) {
        const oldest = this.buckets.keys().next().value
        if (oldest !== undefined) this.buckets.delete(oldest)
      }
    }
    if (b.tokens >= 1) {
      b.tokens -= 1
      return 0
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.perSecond))
  }

  /** Throws 429 with Retry-After when `key` is over its rate. */
  check(key: string, what: string): void {
    const wait = this.take(key)
    if (wait > 0) {
      throw new AppError('rate_limited', `too many ${what} requests from this address; retry in ${wait}s`, {
        retryAfterSecs: wait,
      })
    }
  }
}

export type SocketAddress = (request: Request) => string | null

/** Client IP per the trusted-proxy rule. */
export function clientIp(request: Request, socket: string | null, trustedProxies: readonly string[]): string {
  const peer = socket ?? 'unknown'
  if (trustedProxies.length === 0 || !trustedProxies.includes(normalizeIp(peer))) return normalizeIp(peer)
  const xff = request.headers.get('x-forwarded-for')
  if (!xff) return normalizeIp(peer)
  // The right-most address not belonging to a trusted proxy is the client.
  const hops = xff
    .split(',')
    .map((s) => normalizeIp(s.trim()))
    .filter(Boolean)
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string
    if (!trustedProxies.includes(hop)) return hop
  }
  return hops[0] ?? normalizeIp(peer)
}

const normalizeIp = (ip: string) => (ip.startsWith('::ffff:') ? ip.slice(7) : ip)
