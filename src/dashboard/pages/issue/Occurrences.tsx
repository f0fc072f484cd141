/**
 * The issue's raw events, newest first, a page at a time. Each opens to its stack
 * (symbolicated when maps exist) and metadata. Raw events are pruned by retention; the
 * samples above outlive them.
 */
import { useState } from 'preact/hooks'
import { Ago, Json, Loading, Notice } from '../../components/bits'
import { useLoad } from '../../lib/hooks'
import { issue } from './api'
import { Stack } from './Stack'

const LIMIT = 20

export function Occurrences({
  fingerprint,
  projectId,
  version,
}: {
  fingerprint: string
  projectId: string
  version: number
}) {
  const [offset, setOffset] = useState(0)
  const page = useLoad(
    () => issue.occurrences(fingerprint, projectId, offset, LIMIT),
    [fingerprint, projectId, offset, version],
  )
  if (!page.data) return page.error ? <Notice kind="error">{page.error}</Notice> : <Loading what="events" />
  const { items, total } = page.data
  if (total === 0) return <p class="muted">No raw events kept (retention removed them).</p>
  return (
    <>
      <ul class="occurrences">
        {items.map((o) => (
          <li key={o.id}>
            <details>
              <summary>
                <Ago ms={o.received_at} /> <span class="mono">{o.release}</span> <span>{o.environment}</span>{' '}
                <span class="muted">{o.message}</span>
              </summary>
              <Stack stack={o.stack} symbolicated={o.symbolicated} />
              <Json value={o.metadata} />
            </details>
          </li>
        ))}
      </ul>
      <nav class="pager" aria-label="Event pages">
        <span class="muted">{`${offset + 1}-${Math.min(total, offset + LIMIT)} of ${total}`}</span>
        <div class="btn-row">
          <button
            type="button"
            class="btn small"
            disabled={offset === 0}
            onClick={() => setOffset(Math.max(0, offset - LIMIT))}
          >
            Newer
          </button>
          <button
            type="button"
            class="btn small"
            disabled={offset + LIMIT >= total}
            onClick={() => setOffset(offset + LIMIT)}
          >
            Older
          </button>
        </div>
      </nav>
    </>
  )
}
