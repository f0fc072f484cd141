/**
 * The React Native entry in a simulated RN global environment (ErrorUtils, an
 * AsyncStorage-like store, AppState): the SDK chains to the previous global handler,
 * sends a fatal error before handing it on, and flushes when the app goes to the
 * background. Delivery is real, to a loopback receiver. (No React Native runtime runs in
 * CI; Hermes' missing crypto.subtle is covered by the pure signer's tests.)
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { close } from '../src/global'
import { init } from '../src/react-native'
import { pureSigner } from '../src/sha256'
import { type Receiver, receiver, sign, until } from './receiver'

type Handler = (error: unknown, isFatal?: boolean) => void
let r: Receiver
const g = globalThis as { ErrorUtils?: { getGlobalHandler(): Handler; setGlobalHandler(h: Handler): void } }

afterEach(async () => {
  await close(100)
  delete g.ErrorUtils
  r?.stop()
})

function fakeErrorUtils(previous: Handler) {
  let current: Handler = previous
  g.ErrorUtils = {
    getGlobalHandler: () => current,
    setGlobalHandler: (h) => {
      current = h
    },
  }
  return { fire: (e: unknown, fatal: boolean) => current(e, fatal) }
}

describe('bloop-sdk/react-native', () => {
  test('a fatal JS error is sent first, then handed to the previous handler', async () => {
    r = receiver()
    const seen: string[] = []
    const utils = fakeErrorUtils((e, fatal) => seen.push(`${(e as Error).message}:${fatal}`))
    init({ endpoint: r.url, projectKey: 'rn-key', signer: pureSigner, release: 'app@3.0.0' })
    utils.fire(new TypeError('undefined is not a function'), true)
    await until(() => seen.length === 1)
    // The previous handler (the red box, the crash) runs only after the send.
    expect(r.requests.length).toBe(1)
    expect(seen).toEqual(['undefined is not a function:true'])
    const req = r.requests[0] as (typeof r.requests)[0]
    expect(req.headers.get('x-signature')).toBe(sign('rn-key', req.body))
    const e = req.json as { source: string; error_type: string; metadata: Record<string, unknown> }
    expect([e.source, e.error_type]).toEqual(['react-native', 'TypeError'])
    expect(e.metadata.level).toBe('fatal')
    expect(e.metadata.mechanism).toEqual({ type: 'onerror', handled: false })
  })

  test('a non-fatal error reaches the previous handler at once', async () => {
    r = receiver()
    const seen: boolean[] = []
    const utils = fakeErrorUtils((_e, fatal) => seen.push(Boolean(fatal)))
    init({ endpoint: r.url, projectKey: 'k', flushIntervalMs: 60_000 })
    utils.fire(new Error('soft'), false)
    expect(seen).toEqual([false])
  })

  test('going to the background flushes; the AsyncStorage-like store keeps what could not be sent', async () => {
    r = receiver()
    const data = new Map<string, string>()
    const storage = {
      getItem: async (k: string) => data.get(k) ?? null,
      setItem: async (k: string, v: string) => void data.set(k, v),
      removeItem: async (k: string) => void data.delete(k),
    }
    let onChange: (s: string) => void = () => {}
    const appState = {
      addEventListener: (_t: 'change', l: (s: string) => void) => {
        onChange = l
      },
    }
    const c = init({ endpoint: r.url, projectKey: 'k', storage, appState, flushIntervalMs: 60_000 })
    c.setScreen('CheckoutScreen')
    c.captureMessage('tapped pay')
    await Bun.sleep(20)
    expect(r.requests.length).toBe(0)
    onChange('background')
    await until(() => r.requests.length === 1)
    expect((r.requests[0] as { json: { screen: string } }).json.screen).toBe('CheckoutScreen')
    expect(data.size).toBe(0)
  })
})
