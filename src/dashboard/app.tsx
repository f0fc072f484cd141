/**
 * The app shell: top bar (navigation, project switcher, live state, account) and the
 * page for the current route. Which page answers which path is the page table
 * (pages/routes.ts); each page's code is loaded the first time it is shown
 * (pages/index.ts). The selected project travels in the `project` query parameter
 * across views.
 */
import { Header } from './components/Header'
import { route } from './lib/router'
import { PAGES } from './pages'
import { pageAt } from './pages/routes'

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
  const found = pageAt(route.value.path)
  if (!found) return <NotFound />
  const Component = PAGES[found.name]
  return <Component params={found.params} />
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
