/**
 * The sign-in page's explanation of the passkey origin rules, as a pure function: which
 * problem, both addresses named, and the exact SSH tunnel command. The page itself is
 * driven in Chromium in test/browser/web.login.origin.test.ts.
 */
import { describe, expect, test } from 'bun:test'
import { originAdvice } from '../../src/web/login/origin'

const facts = (page: string, rpOrigin: string, rpId: string, secureContext = true) => ({
  page,
  rpOrigin,
  rpId,
  secureContext,
})

describe('originAdvice', () => {
  test('nothing to say where passkeys work', () => {
    expect(
      originAdvice(facts('http://localhost:5332/auth/login', 'http://localhost:5332', 'localhost')),
    ).toBeNull()
    expect(
      originAdvice(
        facts('https://errors.example.com/auth/login?next=/', 'https://errors.example.com', 'example.com'),
      ),
    ).toBeNull()
  })

  test('127.0.0.1 instead of localhost: open localhost, or tunnel to the server', () => {
    expect(
      originAdvice(
        facts('http://127.0.0.1:5332/auth/login?next=/insights', 'http://localhost:5332', 'localhost'),
      ),
    ).toEqual({
      why:
        'You opened http://127.0.0.1:5332, but passkeys on this server work only at http://localhost:5332 ' +
        '(auth.rp_origin), so the browser refuses them here.',
      config: 'auth.rp_origin = "http://localhost:5332", auth.rp_id = "localhost"',
      open: 'http://localhost:5332/auth/login?next=/insights',
      tunnel: {
        command: 'ssh -L 5332:localhost:5332 user@<server>',
        open: 'http://localhost:5332',
        note: null,
      },
    })
  })

  test("a VPS's address over plain http, with the default rp_origin: the tunnel names that host", () => {
    const a = originAdvice(
      facts('http://203.0.113.5:5332/auth/login', 'http://localhost:5332', 'localhost', false),
    )
    expect(a?.why).toContain(
      'You opened http://203.0.113.5:5332, but passkeys on this server work only at http://localhost:5332',
    )
    expect(a?.tunnel).toEqual({
      command: 'ssh -L 5332:localhost:5332 user@203.0.113.5',
      open: 'http://localhost:5332',
      note: null,
    })
  })

  test('rp_origin set to a plain-http IP: https or a tunnel, with the config to change first', () => {
    expect(
      originAdvice(
        facts('http://203.0.113.5:8080/auth/login', 'http://203.0.113.5:8080', '203.0.113.5', false),
      ),
    ).toEqual({
      why:
        'You opened http://203.0.113.5:8080: plain http on an address other than localhost. ' +
        'Browsers allow passkeys only on https:// or on http://localhost.',
      config: 'auth.rp_origin = "http://203.0.113.5:8080", auth.rp_id = "203.0.113.5"',
      open: null,
      tunnel: {
        command: 'ssh -L 8080:localhost:8080 user@203.0.113.5',
        open: 'http://localhost:8080',
        note: 'first set auth.rp_origin = "http://localhost:8080" and auth.rp_id = "localhost" on the server and restart it',
      },
    })
  })

  test('another https name: open the configured one; no tunnel reaches a public name', () => {
    const a = originAdvice(
      facts('https://bloop.example.net/auth/login', 'https://errors.example.com', 'errors.example.com'),
    )
    expect(a?.open).toBe('https://errors.example.com/auth/login')
    expect(a?.tunnel).toBeNull()
  })

  test('behind an https proxy with rp_origin left at localhost: the tunnel goes to the configured port', () => {
    const a = originAdvice(
      facts('https://errors.example.com/auth/login', 'http://localhost:5332', 'localhost'),
    )
    expect(a?.tunnel?.command).toBe('ssh -L 5332:localhost:5332 user@errors.example.com')
  })

  test('an rp_id that is not the host name is named before any ceremony', () => {
    expect(
      originAdvice(facts('http://localhost:5332/auth/login', 'http://localhost:5332', 'example.com')),
    ).toEqual({
      why:
        'Passkeys for http://localhost:5332 need auth.rp_id to be its host name "localhost" (or a parent ' +
        'domain of it), but it is "example.com", so the browser refuses them.',
      config: 'auth.rp_origin = "http://localhost:5332", auth.rp_id = "example.com"',
      open: null,
      tunnel: null,
    })
    expect(
      originAdvice(
        facts('https://errors.example.com/auth/login', 'https://errors.example.com', 'example.com'),
      ),
    ).toBeNull()
  })

  test('a SecurityError where every visible rule holds is still explained', () => {
    const f = facts('http://localhost:5332/auth/login', 'http://localhost:5332', 'localhost')
    expect(originAdvice(f, true)?.why).toBe(
      'The browser refused the passkey at http://localhost:5332 (SecurityError), although the address ' +
        'matches auth.rp_origin and auth.rp_id.',
    )
  })
})
