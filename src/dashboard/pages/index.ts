/**
 * The browser's half of the page table (pages/routes.ts): each page's component, loaded
 * the first time the page is shown. Each `import()` is a chunk of its own (web/assets.ts
 * bundles the dashboard with `splitting`), so the code of a page is downloaded only when
 * it is visited. The type asks for exactly one component per name of the table.
 */
import { type LazyComponent, lazy } from '../lib/lazy'
import type { PageName, PageProps } from './routes'

export const PAGES: { [N in PageName]: LazyComponent<PageProps> } = {
  issues: lazy(() => import('./issues/IssuesPage').then((m) => m.IssuesPage)),
  issue: lazy(() => import('./issue/IssuePage').then((m) => m.IssuePage)),
  alerts: lazy(() => import('./alerts/AlertsPage').then((m) => m.AlertsPage)),
  insights: lazy(() => import('./insights/InsightsPage').then((m) => m.InsightsPage)),
  settings: lazy(() => import('./settings/SettingsPage').then((m) => m.SettingsPage)),
  llm: lazy(() => import('./llm/OverviewPage').then((m) => m.LlmOverviewPage)),
  llmTraces: lazy(() => import('./llm/TracesPage').then((m) => m.LlmTracesPage)),
  llmTrace: lazy(() => import('./llm/TracePage').then((m) => m.LlmTracePage)),
  llmSessions: lazy(() => import('./llm/SessionsPage').then((m) => m.LlmSessionsPage)),
  llmSession: lazy(() => import('./llm/SessionPage').then((m) => m.LlmSessionPage)),
  llmPrompts: lazy(() => import('./llm/PromptsPage').then((m) => m.LlmPromptsPage)),
  llmModels: lazy(() => import('./llm/ModelsPage').then((m) => m.LlmModelsPage)),
  llmSettings: lazy(() => import('./llm/LlmSettingsPage').then((m) => m.LlmSettingsPage)),
  llmExperiments: lazy(() => import('./llm/ExperimentsPage').then((m) => m.LlmExperimentsPage)),
}
