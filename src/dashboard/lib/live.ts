/**
 * Live updates: one EventSource per tab on `/v1/stream` (see src/dashboard/stream.ts).
 * Each `commit` event bumps `tick`, each `llm` event (LLM traces committed) `llmTick`;
 * pages re-read their data in an effect on theirs when the tick names their project. The stream is closed while the tab is hidden (so background
 * tabs hold no connection) and reopened with a catch-up tick when it is shown again.
 */
import { signal } from '@preact/signals'
import type { CommitTick, LlmTick } from './types'

/** `projects: null` means "anything may have changed" (after the tab was hidden). */
export const tick = signal<{ n: number; projects: string[] | null }>({ n: 0, projects: null })
export const llmTick = signal<{ n: number; projects: string[] | null }>({ n: 0, projects: null })
export const liveState = signal<'connecting' | 'open' | 'closed'>('closed')

let source: EventSource | null = null

function bump(projects: string[] | null): void {
  tick.value = { n: tick.value.n + 1, projects }
}

function bumpLlm(projects: string[] | null): void {
  llmTick.value = { n: llmTick.value.n + 1, projects }
}

function open(): void {
  if (source) return
  liveState.value = 'connecting'
  const es = new EventSource('/v1/stream')
  source = es
  es.addEventListener('ready', () => {
    liveState.value = 'open'
  })
  es.addEventListener('commit', (ev) => {
    const data = JSON.parse((ev as MessageEvent<string>).data) as CommitTick
    bump(data.projects)
  })
  es.addEventListener('llm', (ev) => {
    const data = JSON.parse((ev as MessageEvent<string>).data) as LlmTick
    bumpLlm(data.projects)
  })
  es.addEventListener('error', () => {
    // EventSource reconnects by itself after a dropped connection; CLOSED means it gave up.
    liveState.value = es.readyState === EventSource.CLOSED ? 'closed' : 'connecting'
  })
}

function close(): void {
  source?.close()
  source = null
  liveState.value = 'closed'
}

/** Whether a tick concerns the project (id) a page shows; null means all projects. */
export function touches(t: { projects: string[] | null }, projectId: string | null): boolean {
  return t.projects === null || projectId === null || t.projects.includes(projectId)
}

export function startLive(): void {
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') close()
    else {
      open()
      bump(null)
      bumpLlm(null)
    }
  })
  window.addEventListener('pagehide', close)
  if (document.visibilityState !== 'hidden') open()
}
