import { describe, expect, test } from 'bun:test'
import { AppError } from '../../src/http/errors'
import { clientIp, RateLimiter } from '../../src/http/ratelimit'

describe('token bucket', () => {
  test('allows `burst` requests at once, then `per_second` per second', () => {
    let now = 1_000_000
    const rl = new RateLimiter(2, 5, () => now)
    for (let i = 0; i < 5; i++) expect(rl.take('a')).toBe(0)
    expect(rl.take('a')).toBe(1)
    now += 499 // 0.998 tokens: still not one
    expect(rl.take('a')).toBe(1)
    now += 1
    expect(rl.take('a')).toBe(0)
    expect(rl.take('a')).toBe(1)
    now += 10_000 // refills up to the burst, not beyond
    for (let i = 0; i < 5; i++) expect(rl.take('a')).toBe(0)
    expect(rl.take('a')).toBe(1)
  })

  test('keys are independent', () => {
    const rl = new RateLimiter(1, 1, () => 0)
    expect(rl.take('a')).toBe(0)
    expect(rl.take('a')).toBe(1)
    expect(rl.take('b')).toBe(0)
  })

  test('Retry-After is the whole seconds until a token is back', () => {
    const rl = new RateLimiter(0.25, 1, () => 0)
    rl.take('a')
    expect(rl.take('a')).toBe(4)
    try {
      rl.check('a', 'ingest')
      throw new Error('expected a 429')
    } catch (err) {
      expect(err).toBeInstanceOf(AppError)
      expect((err as AppError).status).toBe(429)
      expect((err as AppError).extra.retryAfterSecs).toBe(4)
    }
  })

  test('a clock that steps backwards does not drain the bucket', () => {
    let now = 1_000_000
    const rl = new RateLimiter(1, 3, () => now)
    expect(rl.take('a')).toBe(0)
    now -= 3_600_000 // an hour back (NTP step)
    expect(rl.take('a')).toBe(0)
    expect(rl.take('a')).toBe(0)
    expect(rl.take('a')).toBe(1)
  })
})

describe('client address', () => {
  const req = (xff?: string) => new Request('http://x/', { headers: xff ? { 'x-forwarded-for': xff } : {} })

  test('is the socket address when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(clientIp(req('6.6.6.6'), '203.0.113.9', [])).toBe('203.0.113.9')
    expect(clientIp(req(), '::ffff:203.0.113.9', [])).toBe('203.0.113.9')
  })

  test('behind a trusted proxy is the right-most address that is not a trusted proxy', () => {
    const proxies = ['10.0.0.1', '10.0.0.2']
    expect(clientIp(req('198.51.100.7'), '10.0.0.1', proxies)).toBe('198.51.100.7')
    // A client cannot spoof by prepending: the proxy appends the real peer last.
    expect(clientIp(req('1.2.3.4, 198.51.100.7, 10.0.0.2'), '10.0.0.1', proxies)).toBe('198.51.100.7')
    expect(clientIp(req(), '10.0.0.1', proxies)).toBe('10.0.0.1')
  })

  test('a request from an untrusted peer cannot choose its key with X-Forwarded-For', () => {
    expect(clientIp(req('10.9.9.9'), '203.0.113.5', ['10.0.0.1'])).toBe('203.0.113.5')
  })
})
