/**
 * The app shell: top bar (navigation, project switcher, live state, account) and the
 * page for the current route. Routes (client-side, served as the shell by the server):
 *
 *   /                          issues list           /alerts[/new|/:id]   alert rules
 *   /issues/:fingerprint       issue detail          /insights            analytics
 *   /settings/<section>        projects, tokens, source maps, retention, users, account
 *
 * The selected project travels in the `project` query parameter across views.
 */
import { Header } from './components/Header'
import { match, route } from './lib/router'
import { AlertsPage } from './pages/alerts/AlertsPage'
import { InsightsPage } from './pages/insights/InsightsPage'
import { IssuePage } from './pages/issue/IssuePage'
import { IssuesPage } from './pages/issues/IssuesPage'
import { SettingsPage } from './pages/settings/SettingsPage'

function NotFound() {
  return (
    <div class="card empty">
      <h1>Nothing here</h1>
      <p>
        <a href="/">Back to the issues</a>
      </p>
    </div>
  )
}

function Page() {
  const { path } = route.value
  if (path === '/') return <IssuesPage />
  const issue = match('/issues/:fingerprint', path)
  if (issue) return <IssuePage fingerprint={issue.fingerprint as string} />
  if (path === '/alerts' || path.startsWith('/alerts/')) return <AlertsPage />
  if (path === '/insights') return <InsightsPage />
  if (path === '/settings' || path.startsWith('/settings/')) return <SettingsPage />
  return <NotFound />
}

export function App() {
  return (
    <>
      <a class="sr-only" href="#main">
        Skip to content
      </a>
      <Header />
      <main class="page" id="main">
        <Page />
      </main>
    </>
  )
}
