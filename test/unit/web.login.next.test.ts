/**
 * The sign-in page's `?next=` rule as a pure function: only paths of this origin, judged
 * after the URL parser has rewritten the string (tabs, newlines and backslashes). The same
 * table runs in real Chromium in test/browser/web.login.next.test.ts.
 */
import { describe, expect, test } from 'bun:test'
import { safeNext } from '../../src/web/login/next'

const ORIGIN = 'http://localhost:5332'
const EVIL = '127.0.0.1:47399'

const CASES: [next: string | null, expected: string | null][] = [
  // Paths of this origin are followed, query and fragment kept.
  ['/', '/'],
  ['/insights', '/insights'],
  ['/alerts?project=web-shop', '/alerts?project=web-shop'],
  ['/issues/abc?tab=samples#latest', '/issues/abc?tab=samples#latest'],
  ['/settings/../insights', '/insights'],
  // Percent-encoded slashes and backslashes stay inside the path: same origin.
  [`/%2F%2F${EVIL}/pwned`, `/%2F%2F${EVIL}/pwned`],
  [`/%5C${EVIL}/pwned`, `/%5C${EVIL}/pwned`],
  [`/%09/${EVIL}/pwned`, `/%09/${EVIL}/pwned`],
  // What the parser turns into another host.
  [`//${EVIL}/pwned`, null],
  [`/\\${EVIL}/pwned`, null],
  [`/\\\\${EVIL}/pwned`, null],
  [`/\\/${EVIL}/pwned`, null],
  [`\\\\${EVIL}/pwned`, null],
  [`\\/${EVIL}/pwned`, null],
  [`/\t/${EVIL}/pwned`, null],
  [`/\n/${EVIL}/pwned`, null],
  [`/\r\n/${EVIL}/pwned`, null],
  [`/\t\\${EVIL}/pwned`, null],
  [`///${EVIL}/pwned`, null],
  [`/.//${EVIL}/pwned`, null],
  [`/x/..//${EVIL}/pwned`, null],
  // Not a path at all.
  [`%2F%2F${EVIL}/pwned`, null],
  [`%5C%5C${EVIL}/pwned`, null],
  [` //${EVIL}/pwned`, null],
  ['javascript:alert(document.domain)', null],
  ['JaVaScRiPt:alert(1)', null],
  [`data:text/html,<script>location='http://${EVIL}/pwned'</script>`, null],
  [`http://${EVIL}/pwned`, null],
  [`HTTPS://${EVIL}/pwned`, null],
  [`${ORIGIN}/insights`, null],
  ['insights', null],
  ['', null],
  [null, null],
]

describe('safeNext', () => {
  for (const [next, expected] of CASES) {
    test(`${JSON.stringify(next)} -> ${JSON.stringify(expected)}`, () => {
      expect(safeNext(next, ORIGIN)).toBe(expected)
    })
  }

  test('whatever it returns resolves to this origin', () => {
    for (const [next] of CASES) {
      const path = safeNext(next, ORIGIN)
      if (path !== null) expect(new URL(path, ORIGIN).origin).toBe(ORIGIN)
    }
  })
})
