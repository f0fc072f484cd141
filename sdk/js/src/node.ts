/**
 * The Node.js and Bun entry: everything in index.ts plus an AsyncLocalStorage current
 * span (spans nest across awaits by themselves), automatic capture of uncaught exceptions
 * and unhandled rejections, and a flush before the process exits on its own.
 *
 * Capturing must not change how the process dies. Listening to `uncaughtException` or
 * `unhandledRejection` stops Node's default (print the error, exit 1), so when the SDK's
 * listener is the only one it does what Node would have done, after a bounded flush:
 * prints the error to stderr and exits with code 1. When the app has its own listener,
 * the app keeps deciding, as it would without the SDK. `--unhandled-rejections=warn|none`
 * keeps the process alive as Node would.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { Client, type Options } from './client'
import { setClient } from './global'
import type { ContextManager, Span } from './tracing'

export * from './index'

/** How long a crashing process waits for its last events before exiting. */
const CRASH_FLUSH_MS = 2000

export function asyncContext(): ContextManager {
  const als = new AsyncLocalStorage<Span>()
  return { active: () => als.getStore(), with: (span, fn) => als.run(span, fn) }
}

function rejectionMode(): string {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)]
  const flag = flags.find((f) => f.startsWith('--unhandled-rejections='))
  return flag ? flag.slice('--unhandled-rejections='.length) : 'throw'
}

function printLikeNode(err: unknown): void {
  const text = err instanceof Error ? (err.stack ?? String(err)) : `Uncaught ${String(err)}`
  process.stderr.write(`${text}\n`)
}

export function init(options: Options): Client {
  const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined'
  const client = setClient(
    new Client({ source: isBun ? 'bun' : 'node', context: asyncContext(), ...options }),
  )
  if (options.autoCapture === false) return client

  let dying = false
  const die = (err: unknown) => {
    if (dying) return
    dying = true
    printLikeNode(err)
    const exit = () => process.exit(1)
    client.close(CRASH_FLUSH_MS).then(exit, exit)
  }

  const onException = (err: Error, origin?: string) => {
    const type = origin === 'unhandledRejection' ? 'onunhandledrejection' : 'onuncaughtexception'
    client.captureException(err, { mechanism: { type, handled: false }, level: 'fatal' })
    if (process.listenerCount('uncaughtException') > 1) return
    die(err)
  }
  const onRejection = (reason: unknown) => {
    client.captureException(reason, { mechanism: { type: 'onunhandledrejection', handled: false } })
    if (process.listenerCount('unhandledRejection') > 1) return
    const mode = rejectionMode()
    if (mode === 'warn' || mode === 'none') return
    if (mode === 'warn-with-error-code') {
      process.exitCode = 1
      return
    }
    die(reason)
  }
  process.on('uncaughtException', onException)
  process.on('unhandledRejection', onRejection)

  // The event loop emptied: send what is buffered (this keeps the loop alive until done).
  let flushedAtExit = false
  process.on('beforeExit', () => {
    if (flushedAtExit) return
    flushedAtExit = true
    void client.flush(CRASH_FLUSH_MS)
  })
  return client
}
