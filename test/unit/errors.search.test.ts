import { describe, expect, test } from 'bun:test'
import { MAX_QUERY_CHARS, MAX_TERMS, parseSearch, type SearchFilter } from '../../src/errors/search'

const ok = (f: Partial<SearchFilter>): SearchFilter => ({ tags: [], text: [], ...f })

const PARSED: [string, SearchFilter][] = [
  ['', ok({})],
  ['   ', ok({})],
  ['TypeError', ok({ text: ['TypeError'] })],
  ['TypeError timeout', ok({ text: ['TypeError', 'timeout'] })],
  ['"read timeout" TypeError', ok({ text: ['read timeout', 'TypeError'] })],
  ['is:unresolved', ok({ status: 'unresolved' })],
  ['IS:Resolved', ok({ status: 'resolved' })],
  ['is:ignored', ok({ status: 'ignored' })],
  ['is:muted', ok({ status: 'muted' })],
  ['is:assigned', ok({ assigned: { kind: 'any' } })],
  ['is:unassigned', ok({ assigned: { kind: 'none' } })],
  ['assigned:me', ok({ assigned: { kind: 'me' } })],
  ['assigned:none', ok({ assigned: { kind: 'none' } })],
  ['assigned:u_123', ok({ assigned: { kind: 'user', id: 'u_123' } })],
  ['release:1.2.3', ok({ release: '1.2.3' })],
  ['environment:prod', ok({ environment: 'prod' })],
  ['env:staging', ok({ environment: 'staging' })],
  ['source:ios', ok({ source: 'ios' })],
  ['route:"/api/a b"', ok({ route: '/api/a b' })],
  ['route:/api/users/:id', ok({ route: '/api/users/:id' })],
  ['user:ab12', ok({ user: 'ab12' })],
  ['browser:Chrome', ok({ tags: [{ key: 'browser', value: 'Chrome' }] })],
  [
    'browser:"Chrome 120" os:Linux',
    ok({
      tags: [
        { key: 'browser', value: 'Chrome 120' },
        { key: 'os', value: 'Linux' },
      ],
    }),
  ],
  [
    'browser:Chrome browser:Firefox',
    ok({
      tags: [
        { key: 'browser', value: 'Chrome' },
        { key: 'browser', value: 'Firefox' },
      ],
    }),
  ],
  ['server.name:web-1', ok({ tags: [{ key: 'server.name', value: 'web-1' }] })],
  [
    'is:unresolved release:1.2.3 environment:prod user:<hash> assigned:me TypeError timeout',
    ok({
      status: 'unresolved',
      release: '1.2.3',
      environment: 'prod',
      user: '<hash>',
      assigned: { kind: 'me' },
      text: ['TypeError', 'timeout'],
    }),
  ],
  // A colon inside a word that starts with a quote, or a leading colon, is text.
  ['":x"', ok({ text: [':x'] })],
  [':x', ok({ text: [':x'] })],
  ['a\tb', ok({ text: ['a', 'b'] })],
]

const FAILED: [string, { position: number; length: number; message: RegExp }[]][] = [
  ['is:open', [{ position: 0, length: 7, message: /is:open is unknown; use unresolved, resolved/ }]],
  ['TypeError release:', [{ position: 10, length: 8, message: /release: needs a value/ }]],
  ['a "read timeout', [{ position: 2, length: 13, message: /unterminated quote/ }]],
  ['route:"/a', [{ position: 6, length: 3, message: /unterminated quote/ }]],
  ['release:1 release:2', [{ position: 10, length: 9, message: /release is given twice/ }]],
  ['env:a environment:b', [{ position: 6, length: 13, message: /environment is given twice/ }]],
  ['is:resolved is:muted', [{ position: 12, length: 8, message: /status is given twice/ }]],
  ['is:assigned assigned:me', [{ position: 12, length: 11, message: /assigned is given twice/ }]],
  ['wei$rd:x', [{ position: 0, length: 8, message: /wei\$rd is not a tag name/ }]],
  [`${'k'.repeat(65)}:v`, [{ position: 0, length: 67, message: /is not a tag name/ }]],
  // Every problem is reported, in order.
  [
    'is:x release:',
    [
      { position: 0, length: 4, message: /is:x is unknown/ },
      { position: 5, length: 8, message: /needs a value/ },
    ],
  ],
]

describe('the search language', () => {
  for (const [query, filter] of PARSED) {
    test(`parses ${JSON.stringify(query)}`, () => {
      expect(parseSearch(query)).toEqual({ ok: true, filter })
    })
  }
  for (const [query, want] of FAILED) {
    test(`explains ${JSON.stringify(query)}`, () => {
      const r = parseSearch(query)
      if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(r.filter)}`)
      expect(r.errors.map((e) => ({ position: e.position, length: e.length }))).toEqual(
        want.map(({ position, length }) => ({ position, length })),
      )
      for (const [i, e] of r.errors.entries())
        expect(e.message).toMatch((want[i] as { message: RegExp }).message)
    })
  }

  test(`takes ${MAX_TERMS} terms and refuses one more at its position`, () => {
    const words = Array.from({ length: MAX_TERMS }, (_, i) => `w${i}`)
    expect(parseSearch(words.join(' '))).toEqual({ ok: true, filter: ok({ text: words }) })
    const more = `${words.join(' ')} extra`
    expect(parseSearch(more)).toEqual({
      ok: false,
      errors: [{ position: more.indexOf('extra'), length: 5, message: `at most ${MAX_TERMS} terms` }],
    })
  })

  test(`takes ${MAX_QUERY_CHARS} characters and refuses one more`, () => {
    const long = 'x'.repeat(MAX_QUERY_CHARS)
    expect(parseSearch(long)).toEqual({ ok: true, filter: ok({ text: [long] }) })
    const r = parseSearch(`${long}y`)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.errors[0]).toMatchObject({ position: MAX_QUERY_CHARS, length: 1 })
  })
})
