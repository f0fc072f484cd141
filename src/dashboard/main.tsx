/**
 * The dashboard's browser entry: loads who is signed in and the projects, starts live
 * updates, and renders the app into the shell served by src/dashboard/routes.ts.
 */
import { render } from 'preact'
import { App } from './app'
import { messageOf } from './lib/api'
import { startLive } from './lib/live'
import { interceptLinks } from './lib/router'
import { loadSession } from './lib/session'

const root = document.getElementById('app') as HTMLElement

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
