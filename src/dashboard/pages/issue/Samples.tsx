/** The kept samples (the newest events, kept after raw events are pruned). */
import { useState } from 'preact/hooks'
import { Ago, Json } from '../../components/bits'
import type { Sample } from '../../lib/types'
import { Breadcrumbs } from './Breadcrumbs'
import { Stack } from './Stack'

function Facts({ s }: { s: Sample }) {
  const facts: [string, string | number | null][] = [
    ['Release', s.release],
    ['Environment', s.environment],
    ['Source', s.source],
    ['Route', s.route_or_procedure],
    ['Screen', s.screen],
    ['HTTP status', s.http_status],
    ['Request id', s.request_id],
    ['App version', s.app_version],
    ['Build', s.build_number],
    ['User (hash)', s.user_id_hash],
    ['Device (hash)', s.device_id_hash],
    ['Level', s.level],
  ]
  return (
    <dl class="facts">
      {facts
        .filter(([, v]) => v !== null && v !== '')
        .map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{String(v)}</dd>
          </div>
        ))}
    </dl>
  )
}

export function Samples({ samples }: { samples: Sample[] }) {
  const [at, setAt] = useState(0)
  const s = samples[Math.min(at, samples.length - 1)]
  if (!s) return <p class="muted">No samples kept.</p>
  return (
    <div class="sample">
      <div class="card-head">
        {/* The client's clock may be hours off (or in another zone); the receive time is
            the server's, the clock of "first seen" and "last seen" above. */}
        <span class="sample-when">
          {`Sample ${at + 1} of ${samples.length}: sent `}
          <Ago ms={s.timestamp} /> <span class="muted">(client clock)</span>
          {' · received '}
          <Ago ms={s.captured_at} />
        </span>
        <div class="btn-row">
          <button type="button" class="btn small" disabled={at === 0} onClick={() => setAt(at - 1)}>
            Newer
          </button>
          <button
            type="button"
            class="btn small"
            disabled={at >= samples.length - 1}
            onClick={() => setAt(at + 1)}
          >
            Older
          </button>
        </div>
      </div>
      <p class="sample-message">{s.message}</p>
      <Facts s={s} />
      <h3>Breadcrumbs</h3>
      <Breadcrumbs sample={s} />
      <h3>Stack</h3>
      <Stack stack={s.stack} symbolicated={s.symbolicated} />
      <h3>Metadata</h3>
      <Json value={s.metadata} />
    </div>
  )
}
