import { describe, expect, test } from 'bun:test'
import {
  MAX_BREADCRUMBS,
  MAX_CRUMB_DATA_BYTES,
  MAX_CRUMB_LABEL_CHARS,
  MAX_CRUMB_MESSAGE_BYTES,
  sentryBreadcrumbs,
  validateBreadcrumbs,
} from '../../src/errors/breadcrumbs'

const T0 = 1_700_000_000_000
const parse = (s: string | null) => (s === null ? null : JSON.parse(s))
const refusal = (v: unknown): { field: string; message: string } => {
  try {
    validateBreadcrumbs(v, T0)
  } catch (e) {
    return { field: (e as { field: string }).field, message: (e as Error).message }
  }
  throw new Error('expected a refusal')
}
/** `data` whose compact JSON is exactly `bytes` long: {"k":"xxx..."} */
const dataOf = (bytes: number) => ({ k: 'x'.repeat(bytes - 8) })

describe('bloop breadcrumbs at the ingest boundary', () => {
  test('stores crumbs oldest first with defaults, seconds scaled, empty fields left out', () => {
    const stored = parse(
      validateBreadcrumbs(
        [
          { timestamp: 1_699_999_999, category: 'ui.click', message: 'button#buy' },
          { type: 'http', category: 'fetch', level: 'warn', data: { url: '/api', status_code: 500 } },
          { message: '', data: {}, level: 'debug' },
        ],
        T0,
      ),
    )
    expect(stored).toEqual([
      { timestamp: 1_699_999_999_000, category: 'ui.click', level: 'info', message: 'button#buy' },
      {
        timestamp: T0,
        type: 'http',
        category: 'fetch',
        level: 'warning',
        data: { url: '/api', status_code: 500 },
      },
      { timestamp: T0, level: 'debug' },
    ])
    expect(validateBreadcrumbs(undefined, T0)).toBeNull()
    expect(validateBreadcrumbs([], T0)).toBeNull()
  })

  test(`takes ${MAX_BREADCRUMBS} crumbs and refuses ${MAX_BREADCRUMBS + 1}`, () => {
    const crumbs = (n: number) => Array.from({ length: n }, (_, i) => ({ message: `step ${i}` }))
    expect(parse(validateBreadcrumbs(crumbs(MAX_BREADCRUMBS), T0))).toHaveLength(MAX_BREADCRUMBS)
    expect(refusal(crumbs(MAX_BREADCRUMBS + 1))).toEqual({
      field: 'breadcrumbs',
      message: `breadcrumbs exceeds ${MAX_BREADCRUMBS} entries (got ${MAX_BREADCRUMBS + 1})`,
    })
  })

  test(`takes a ${MAX_CRUMB_MESSAGE_BYTES}-byte message and refuses one byte more (UTF-8)`, () => {
    const euro = '€'.repeat(MAX_CRUMB_MESSAGE_BYTES / 4) // 3 bytes each: 768
    const exact = `${euro}${'x'.repeat(MAX_CRUMB_MESSAGE_BYTES - 768)}`
    expect(parse(validateBreadcrumbs([{ message: exact }], T0))[0].message).toBe(exact)
    expect(refusal([{}, { message: `${exact}x` }])).toEqual({
      field: 'breadcrumbs[1].message',
      message: `breadcrumbs[1].message exceeds ${MAX_CRUMB_MESSAGE_BYTES} bytes (got ${MAX_CRUMB_MESSAGE_BYTES + 1})`,
    })
  })

  test(`takes ${MAX_CRUMB_DATA_BYTES} bytes of data and refuses one more`, () => {
    expect(JSON.stringify(dataOf(MAX_CRUMB_DATA_BYTES)).length).toBe(MAX_CRUMB_DATA_BYTES)
    expect(parse(validateBreadcrumbs([{ data: dataOf(MAX_CRUMB_DATA_BYTES) }], T0))[0].data).toEqual(
      dataOf(MAX_CRUMB_DATA_BYTES),
    )
    expect(refusal([{ data: dataOf(MAX_CRUMB_DATA_BYTES + 1) }])).toEqual({
      field: 'breadcrumbs[0].data',
      message: `breadcrumbs[0].data exceeds ${MAX_CRUMB_DATA_BYTES} bytes (compact JSON is ${MAX_CRUMB_DATA_BYTES + 1} bytes)`,
    })
  })

  test(`takes a ${MAX_CRUMB_LABEL_CHARS}-character category and type, refuses one more`, () => {
    const label = 'c'.repeat(MAX_CRUMB_LABEL_CHARS)
    expect(parse(validateBreadcrumbs([{ category: label, type: label }], T0))[0]).toMatchObject({
      category: label,
      type: label,
    })
    expect(refusal([{ category: `${label}c` }]).field).toBe('breadcrumbs[0].category')
    expect(refusal([{ type: `${label}c` }]).field).toBe('breadcrumbs[0].type')
  })

  test('refuses wrong shapes naming the field', () => {
    expect(refusal({ values: [] })).toEqual({ field: 'breadcrumbs', message: 'breadcrumbs must be an array' })
    expect(refusal(['x']).field).toBe('breadcrumbs[0]')
    expect(refusal([{ level: 'loud' }])).toEqual({
      field: 'breadcrumbs[0].level',
      message: 'breadcrumbs[0].level must be one of fatal, error, warning, info, debug',
    })
    expect(refusal([{ message: 5 }]).field).toBe('breadcrumbs[0].message')
    expect(refusal([{ data: [1] }]).field).toBe('breadcrumbs[0].data')
    expect(refusal([{ timestamp: 'yesterday' }]).field).toBe('breadcrumbs[0].timestamp')
  })
})

describe('Sentry breadcrumbs, never refused', () => {
  test('reads both forms, ISO and second timestamps', () => {
    const crumbs = [
      { timestamp: '2023-11-14T22:13:20.000Z', category: 'console', level: 'log', message: 'hi' },
    ]
    const want = [{ timestamp: T0, category: 'console', level: 'info', message: 'hi' }]
    expect(parse(sentryBreadcrumbs(crumbs, 0))).toEqual(want)
    expect(parse(sentryBreadcrumbs({ values: [{ ...crumbs[0], timestamp: T0 / 1000 }] }, 0))).toEqual(want)
    expect(sentryBreadcrumbs({ values: [] }, T0)).toBeNull()
    expect(sentryBreadcrumbs('nope', T0)).toBeNull()
  })

  test(`keeps the newest ${MAX_BREADCRUMBS}, cuts messages, marks oversized data, reads unknown levels as info`, () => {
    const crumbs = Array.from({ length: MAX_BREADCRUMBS + 20 }, (_, i) => ({
      message: `m${i}`,
      level: 'odd',
    }))
    crumbs.push({
      message: 'é'.repeat(MAX_CRUMB_MESSAGE_BYTES),
      level: 'error',
      data: dataOf(MAX_CRUMB_DATA_BYTES + 1),
    } as never)
    const stored = parse(sentryBreadcrumbs(crumbs, T0))
    expect(stored).toHaveLength(MAX_BREADCRUMBS)
    expect(stored[0]).toEqual({ timestamp: T0, level: 'info', message: 'm21' })
    const last = stored.at(-1)
    expect(new TextEncoder().encode(last.message).length).toBeLessThanOrEqual(MAX_CRUMB_MESSAGE_BYTES)
    expect(last.message.endsWith('…')).toBe(true)
    expect(last.data).toEqual({ _truncated: MAX_CRUMB_DATA_BYTES + 1 })
    expect(last.level).toBe('error')
  })
})
