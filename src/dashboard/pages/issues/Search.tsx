/**
 * The issue list's search box: the query language of errors/search.ts, parsed here as it
 * is typed (the same module the API parses with), so a mistake is shown in place, the
 * term at fault underlined with what is wrong, before anything is sent. Enter applies it
 * to the URL (`q`); `/` focuses the box.
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import { parseSearch, type SearchError } from '../../../errors/search'
import { useKeys } from '../../lib/hooks'

const HINT = 'is:unresolved release:1.2.3 environment:prod browser:Chrome user:<hash> TypeError'

/** The query with the first error's span marked, for the explanation line. */
function Marked({ text, error }: { text: string; error: SearchError }) {
  const end = Math.min(text.length, error.position + Math.max(1, error.length))
  return (
    <code class="search-marked">
      {text.slice(0, error.position)}
      <mark>{text.slice(error.position, end) || ' '}</mark>
      {text.slice(end)}
    </code>
  )
}

export function Search({ value, onApply }: { value: string; onApply: (q: string) => void }) {
  const [text, setText] = useState(value)
  const input = useRef<HTMLInputElement>(null)
  useEffect(() => setText(value), [value])
  useKeys(
    {
      '/': (ev: KeyboardEvent) => {
        ev.preventDefault()
        input.current?.focus()
      },
    },
    [],
  )
  const parsed = parseSearch(text)
  const errors = parsed.ok ? [] : parsed.errors
  return (
    <form
      class="search"
      aria-label="Search issues"
      onSubmit={(ev) => {
        ev.preventDefault()
        if (errors.length === 0) onApply(text.trim())
      }}
    >
      <label class="field search-field">
        <span>Search</span>
        <input
          ref={input}
          name="q"
          type="search"
          value={text}
          placeholder={HINT}
          spellcheck={false}
          autocomplete="off"
          aria-invalid={errors.length > 0}
          aria-describedby={errors.length > 0 ? 'search-error' : undefined}
          onInput={(ev) => setText((ev.target as HTMLInputElement).value)}
        />
      </label>
      {errors.length > 0 && (
        <div id="search-error" class="search-error" role="alert">
          <Marked text={text} error={errors[0] as SearchError} />
          <ul>
            {errors.map((e) => (
              <li key={`${e.position}-${e.message}`}>{`Character ${e.position + 1}: ${e.message}`}</li>
            ))}
          </ul>
        </div>
      )}
    </form>
  )
}
