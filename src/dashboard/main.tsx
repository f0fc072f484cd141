/**
 * The dashboard's browser entry: loads who is signed in and the projects, starts live
 * updates, and renders the app into the shell served by src/dashboard/routes.ts. The
 * code of the page asked for is fetched at the same time as the session, not after it.
 */
import { render } from 'preact'
import { App } from './app'
import { messageOf } from './lib/api'
import { startLive } from './lib/live'
import { interceptLinks } from './lib/router'
import { loadSession } from './lib/session'
import { PAGES } from './pages'
import { pageAt } from './pages/routes'

const root = document.getElementById('app') as HTMLElement

const first = pageAt(location.pathname)
// A failure shows on the page itself (the lazy component loads again and says so).
if (first) PAGES[first.name].preload().catch(() => {})

loadSession()
  .then(() => {
    interceptLinks(root)
    startLive()
    root.replaceChildren()
    render(<App />, root)
  })
  .catch((err) => {
    root.textContent = `bloop could not start: ${messageOf(err)}`
  })
