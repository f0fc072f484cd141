/** A card of the Insights page: title, what it computes, and the loaded content. */
import { Loading, Notice } from '../../components/bits'
import type { Loaded } from '../../lib/hooks'

export function Section<T>(p: {
  id: string
  title: string
  about: string
  loaded: Loaded<T>
  empty: (data: T) => boolean
  emptyText: string
  children: (data: T) => preact.ComponentChildren
}) {
  const { data, error } = p.loaded
  return (
    <section class="card insight" id={`insight-${p.id}`} aria-labelledby={`insight-${p.id}-title`}>
      <h2 id={`insight-${p.id}-title`}>{p.title}</h2>
      <p class="muted">{p.about}</p>
      {error ? (
        <Notice kind="error">{error}</Notice>
      ) : data === null ? (
        <Loading />
      ) : p.empty(data) ? (
        <p class="empty">{p.emptyText}</p>
      ) : (
        p.children(data)
      )}
    </section>
  )
}

/** A short issue label linking to the issue. */
export function IssueLink(p: { href: string; type: string; message: string }) {
  return (
    <a href={p.href} class="issue-link">
      <strong>{p.type}</strong> <span class="muted">{p.message}</span>
    </a>
  )
}
