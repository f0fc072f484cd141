/** Small hooks shared by the pages: loading data, running actions, keyboard shortcuts. */
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks'
import { messageOf } from './api'

export interface Loaded<T> {
  data: T | null
  error: string | null
  loading: boolean
  /** Loads again, keeping the current data on screen until the answer arrives. */
  reload: () => Promise<void>
  set: (data: T) => void
}

/** Loads `fn()` when `deps` change. Answers to superseded calls are dropped. */
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [loading, setLoading] = useState(true)
  const seq = useRef(0)
  const latest = useRef(fn)
  latest.current = fn

  const reload = useCallback(async () => {
    const mine = ++seq.current
    setLoading(true)
    try {
      const value = await latest.current()
      if (mine !== seq.current) return
      setData(value)
      setError(null)
    } catch (err) {
      if (mine === seq.current) setError(messageOf(err))
    } finally {
      if (mine === seq.current) setLoading(false)
    }
  }, [])

  useEffect(() => {
    void reload()
  }, deps)

  return { data, error, loading, reload, set: setData }
}

export interface Action {
  busy: boolean
  error: string | null
  /** Runs `fn` once at a time; its error is kept for display, its result returned. */
  run: <R>(fn: () => Promise<R>) => Promise<R | undefined>
  clear: () => void
}

export function useAction(): Action {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const run = useCallback(async <R>(fn: () => Promise<R>) => {
    setBusy(true)
    setError(null)
    try {
      return await fn()
    } catch (err) {
      setError(messageOf(err))
      return undefined
    } finally {
      setBusy(false)
    }
  }, [])
  return { busy, error, run, clear: () => setError(null) }
}

/**
 * Keyboard shortcuts on the document, ignored while typing in a field. Attached in a
 * layout effect, so they work as soon as the view is on screen.
 */
export function useKeys(handlers: Record<string, (ev: KeyboardEvent) => void>, deps: unknown[]): void {
  useLayoutEffect(() => {
    const onKey = (ev: KeyboardEvent) => {
      if (ev.metaKey || ev.ctrlKey || ev.altKey) return
      const t = ev.target as HTMLElement
      if (t.closest('input, textarea, select, [contenteditable], dialog')) return
      const h = handlers[ev.key]
      if (h) h(ev)
    }
    document.addEventListener('keydown', onKey)
    return () => document.removeEventListener('keydown', onKey)
  }, deps)
}
