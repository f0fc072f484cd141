/**
 * The React Native entry: everything in index.ts plus React Native's global error handler
 * (ErrorUtils, chained to the previous one so the red box and crash behaviour stay),
 * Hermes' unhandled-rejection tracker where present, a pure-JS signer when the runtime
 * has no crypto.subtle (Hermes), and a flush when the app goes to the background.
 * Pass an AsyncStorage (or any getItem/setItem/removeItem store) as `storage` for the
 * offline queue, and React Native's AppState as `appState`:
 *
 *   import AsyncStorage from '@react-native-async-storage/async-storage'
 *   import { AppState } from 'react-native'
 *   init({ endpoint, projectKey, storage: AsyncStorage, appState: AppState })
 */
import { Client, type Options } from './client'
import { setClient } from './global'
import { webCryptoSigner } from './hmac'
import { pureSigner } from './sha256'

export * from './index'

type GlobalHandler = (error: unknown, isFatal?: boolean) => void
interface ErrorUtilsLike {
  getGlobalHandler(): GlobalHandler | undefined
  setGlobalHandler(h: GlobalHandler): void
}
interface AppStateLike {
  addEventListener(type: 'change', listener: (state: string) => void): unknown
}

export interface ReactNativeOptions extends Options {
  appState?: AppStateLike
}

export function init(options: ReactNativeOptions): Client {
  const client = setClient(
    new Client({ source: 'react-native', signer: webCryptoSigner() ?? pureSigner, ...options }),
  )
  if (options.autoCapture !== false) {
    const g = globalThis as {
      ErrorUtils?: ErrorUtilsLike
      HermesInternal?: { enablePromiseRejectionTracker?: (o: object) => void }
    }
    const utils = g.ErrorUtils
    if (utils) {
      const previous = utils.getGlobalHandler()
      utils.setGlobalHandler((error, isFatal) => {
        client.captureException(error, {
          mechanism: { type: 'onerror', handled: false },
          level: isFatal ? 'fatal' : 'error',
        })
        // A fatal error ends the app right after the previous handler: send first, briefly.
        if (isFatal) void client.flush(1000).finally(() => previous?.(error, isFatal))
        else previous?.(error, isFatal)
      })
    }
    g.HermesInternal?.enablePromiseRejectionTracker?.({
      allRejections: true,
      onUnhandled: (_id: number, reason: unknown) =>
        client.captureException(reason, { mechanism: { type: 'onunhandledrejection', handled: false } }),
    })
  }
  options.appState?.addEventListener('change', (state) => {
    if (state === 'background' || state === 'inactive') void client.flush(2000)
  })
  return client
}
