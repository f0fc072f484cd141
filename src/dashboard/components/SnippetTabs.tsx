/** Setup snippets as tabs: one platform's install step and code at a time, each copyable. */
import { useState } from 'preact/hooks'
import { CopyButton } from './bits'

export interface Snippet {
  id: string
  label: string
  /** Install step, when the platform needs one. */
  install?: string
  code: string
}

export function SnippetTabs({ list, label }: { list: Snippet[]; label: string }) {
  const [tab, setTab] = useState(list[0]?.id)
  const shown = list.find((s) => s.id === tab) ?? list[0]
  return (
    <>
      <div class="tabs" role="tablist" aria-label={label}>
        {list.map((s) => (
          <button
            key={s.id}
            type="button"
            role="tab"
            aria-selected={s.id === shown?.id}
            onClick={() => setTab(s.id)}
          >
            {s.label}
          </button>
        ))}
      </div>
      {shown && (
        <div role="tabpanel" class="snippet" data-snippet={shown.id}>
          {shown.install && (
            <p>
              <code>{shown.install}</code>
            </p>
          )}
          <pre>{shown.code}</pre>
          <CopyButton text={shown.code} label="Copy snippet" />
        </div>
      )}
    </>
  )
}
