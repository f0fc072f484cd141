/**
 * A page component whose code is fetched on first use: `lazy(() => import('./Page').then(
 * (m) => m.Page))` gives a component that shows "Loading…" until the chunk has arrived,
 * then the page, and a message with a Reload button if the chunk could not be fetched.
 * The bundler (web/assets.ts, `splitting`) turns each `import()` into its own chunk, so a
 * page's code is downloaded only when the page is visited.
 *
 * Once loaded, the component stays for the life of the tab. A failed load is not kept:
 * the next visit tries again. Reload is offered because the likeliest cause, after the
 * network, is a new bloop version whose chunks have other names than the running app's.
 */
import type { ComponentType, FunctionComponent } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { Loading } from '../components/bits'
import { messageOf } from './api'

export interface LazyComponent<P> extends FunctionComponent<P> {
  /** Starts fetching the code (at most once); resolves when it is there. */
  preload: () => Promise<unknown>
}

export function lazy<P>(load: () => Promise<ComponentType<P>>): LazyComponent<P> {
  let loaded: ComponentType<P> | null = null
  let pending: Promise<ComponentType<P>> | null = null
  const preload = () => {
    pending ??= load().then(
      (component) => {
        loaded = component
        return component
      },
      (err) => {
        pending = null
        throw err
      },
    )
    return pending
  }

  function Lazy(props: P) {
    // The component in state, not read from `loaded` at render: the chunk may arrive
    // between this render and the effect, and the effect must still re-render.
    const [Page, setPage] = useState<ComponentType<P> | null>(() => loaded)
    const [error, setError] = useState<string | null>(null)
    useEffect(() => {
      if (Page) return
      let live = true
      preload().then(
        (component) => live && setPage(() => component),
        (err) => live && setError(messageOf(err)),
      )
      return () => {
        live = false
      }
    }, [])
    if (Page) return <Page {...(props as P & object)} />
    if (error) return <LoadFailed message={error} />
    return <Loading what="the page" />
  }
  Lazy.preload = preload
  return Lazy
}

function LoadFailed({ message }: { message: string }) {
  return (
    <div class="card empty" role="alert" data-load-failed>
      <h1>This page did not load</h1>
      <p class="muted">{message}</p>
      <p>
        <button type="button" class="btn" onClick={() => location.reload()}>
          Reload
        </button>
      </p>
    </div>
  )
}
