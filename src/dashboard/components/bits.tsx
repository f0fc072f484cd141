/** Small shared pieces: times, status badges, notices, copy buttons, JSON. */
import { useState } from 'preact/hooks'
import { ago, dateTime } from '../lib/format'

export function Ago({ ms }: { ms: number | null }) {
  if (ms === null) return <span class="muted">never</span>
  return (
    <time dateTime={new Date(ms).toISOString()} title={dateTime(ms)}>
      {ago(ms)}
    </time>
  )
}

export function Badge({ kind, children }: { kind?: string; children: string }) {
  return <span class={`badge ${kind ?? children}`}>{children}</span>
}

export function Notice({
  kind = '',
  children,
}: {
  kind?: 'error' | 'ok' | ''
  children: preact.ComponentChildren
}) {
  if (children === null || children === undefined || children === '') return null
  return (
    <div class={`notice ${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  )
}

export function Loading({ what = '' }: { what?: string }) {
  return <p class="muted" aria-busy="true">{`Loading${what ? ` ${what}` : ''}…`}</p>
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [done, setDone] = useState<'' | 'ok' | 'failed'>('')
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text)
      setDone('ok')
    } catch {
      setDone('failed')
    }
    setTimeout(() => setDone(''), 2000)
  }
  return (
    <button type="button" class="btn small" onClick={copy} aria-live="polite">
      {done === 'ok' ? 'Copied' : done === 'failed' ? 'Copy failed: select and copy' : label}
    </button>
  )
}

/** A secret shown once (a new key, token or invite link), with a copy button. */
export function Secret({ value, note }: { value: string; note?: string }) {
  return (
    <div class="notice ok">
      {note && <p>{note}</p>}
      <div class="secret">
        <code data-secret>{value}</code>
        <CopyButton text={value} />
      </div>
    </div>
  )
}

export function Json({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <p class="muted">No metadata.</p>
  const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2)
  return <pre class="json">{text}</pre>
}
