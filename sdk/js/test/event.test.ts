import { describe, expect, test } from 'bun:test'
import {
  BREADCRUMB_CAPS,
  DEFAULT_CAPS,
  describeError,
  fitBreadcrumbs,
  fitEvent,
  trimMetadata,
  trimStack,
  truncateUtf8,
  utf8Length,
} from '../src/event'

const base = {
  timestamp: 1,
  source: 'node',
  environment: 'test',
  release: '1',
  error_type: 'Error',
  message: 'm',
}

describe('client-side trimming to the server caps', () => {
  test('utf8Length counts multi-byte characters and surrogate pairs as the server does', () => {
    for (const s of ['', 'abc', 'é', '☕', '𝄞', 'a𝄞é☕z']) expect(utf8Length(s)).toBe(Buffer.byteLength(s))
  })

  test('truncateUtf8 never splits a character', () => {
    expect(truncateUtf8('aé', 2)).toBe('a')
    expect(truncateUtf8('aé', 3)).toBe('aé')
    expect(truncateUtf8('𝄞𝄞', 7)).toBe('𝄞')
  })

  test('a message of exactly the cap is kept; one byte more is cut with a marker within the cap', () => {
    const at = 'x'.repeat(DEFAULT_CAPS.maxMessageBytes)
    expect(fitEvent({ ...base, message: at }, DEFAULT_CAPS).message).toBe(at)
    const over = fitEvent({ ...base, message: `${at}y` }, DEFAULT_CAPS).message
    expect(utf8Length(over)).toBeLessThanOrEqual(DEFAULT_CAPS.maxMessageBytes)
    expect(over.endsWith('…[truncated]')).toBe(true)
  })

  test('a deep stack keeps its header and both ends, dropping frames from the middle', () => {
    const frames = Array.from({ length: 400 }, (_, i) => `    at f${i} (app.js:${i}:1)`)
    const stack = ['TypeError: boom', ...frames].join('\n')
    const out = trimStack(stack, 8192)
    expect(utf8Length(out)).toBeLessThanOrEqual(8192)
    const lines = out.split('\n')
    expect(lines[0]).toBe('TypeError: boom')
    expect(lines[1]).toBe(frames[0] as string)
    expect(lines.at(-1)).toBe(frames.at(-1) as string)
    const marker = lines.find((l) => l.includes('frames omitted')) as string
    const omitted = Number(/(\d+) frames omitted/.exec(marker)?.[1])
    expect(omitted + lines.length - 2).toBe(400)
  })

  test('a stack of exactly the cap is untouched', () => {
    const stack = `Error: x\n${'a'.repeat(8192 - 9)}`
    expect(utf8Length(stack)).toBe(8192)
    expect(trimStack(stack, 8192)).toBe(stack)
  })

  test('breadcrumbs keep the server caps: the newest 100, messages, labels and data cut', () => {
    const crumbs = Array.from({ length: 120 }, (_, i) => ({ message: `step ${i}` }))
    crumbs.push({
      message: 'm'.repeat(2000),
      category: 'c'.repeat(80),
      level: 'loud',
      data: { blob: 'x'.repeat(3000) },
    } as never)
    const out = fitBreadcrumbs(crumbs)
    expect(out).toHaveLength(BREADCRUMB_CAPS.count)
    expect(out[0]).toEqual({ message: 'step 21' })
    const last = out.at(-1) as Record<string, unknown>
    expect(utf8Length(last.message as string)).toBe(BREADCRUMB_CAPS.messageBytes)
    expect((last.message as string).endsWith('…[truncated]')).toBe(true)
    expect(last.category).toBe('c'.repeat(BREADCRUMB_CAPS.labelChars))
    expect(last.level).toBeUndefined()
    expect(last.data).toEqual({ _truncated: true })
  })

  test('an event over the payload cap loses its oldest breadcrumbs first, keeping its stack', () => {
    const breadcrumbs = Array.from({ length: 100 }, (_, i) => ({ message: `step ${i} ${'.'.repeat(900)}` }))
    const e = { ...base, stack: 'Error: x\n    at f (a.js:1:1)', breadcrumbs }
    const out = fitEvent(e, DEFAULT_CAPS)
    expect(utf8Length(JSON.stringify(out))).toBeLessThanOrEqual(DEFAULT_CAPS.maxPayloadBytes)
    expect(out.stack).toBe(e.stack)
    const kept = out.breadcrumbs ?? []
    expect(kept.length).toBeGreaterThan(20)
    expect(kept.length).toBeLessThan(100)
    expect(kept.at(-1)?.message).toBe(breadcrumbs[99]?.message as string)
    expect(kept[0]?.message).toBe(breadcrumbs[100 - kept.length]?.message as string)
  })

  test('metadata without breadcrumbs is cut string by string, then key by key', () => {
    const out = trimMetadata({ a: 'x'.repeat(10_000), b: 'small' }, 4096)
    expect(out.b).toBe('small')
    expect((out.a as string).length).toBeLessThan(300)
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, 'v'.repeat(200)]))
    const cut = trimMetadata(many, 4096)
    expect(utf8Length(JSON.stringify(cut))).toBeLessThanOrEqual(4096)
    expect(cut._truncated).toBe(true)
  })

  test('metadata at the cap is sent as is', () => {
    const m = { k: 'v'.repeat(4096 - 8) }
    expect(utf8Length(JSON.stringify(m))).toBe(4096)
    expect(trimMetadata(m, 4096)).toEqual(m)
  })

  test('every field ends within its cap, and cycles or BigInt do not throw', () => {
    const cyclic: Record<string, unknown> = { n: 10n }
    cyclic.self = cyclic
    const e = fitEvent(
      {
        ...base,
        source: 's'.repeat(40),
        release: 'r'.repeat(600),
        fingerprint: 'f'.repeat(200),
        metadata: JSON.parse(JSON.stringify({ ok: 1 })),
      },
      DEFAULT_CAPS,
    )
    expect(e.source.length).toBe(32)
    expect(e.release.length).toBe(512)
    expect(e.fingerprint?.length).toBe(128)
    expect(trimMetadata(cyclic, 4096)).toEqual({ n: '10', self: '[circular]' })
  })
})

describe('describeError', () => {
  test('takes the subclass name, message and stack of an Error', () => {
    const d = describeError(new TypeError('bad'))
    expect(d.error_type).toBe('TypeError')
    expect(d.message).toBe('bad')
    expect(d.stack?.split('\n')[0]).toBe('TypeError: bad')
    class PaymentDeclined extends Error {}
    expect(describeError(new PaymentDeclined('no')).error_type).toBe('PaymentDeclined')
  })

  test('strings and other thrown values become readable events', () => {
    expect(describeError('plain')).toEqual({ error_type: 'Error', message: 'plain' })
    expect(describeError({ code: 7 })).toEqual({
      error_type: 'NonError',
      message: 'non-Error thrown: {"code":7}',
    })
  })
})
