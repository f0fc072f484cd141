/**
 * A button that asks before doing something that cannot be undone (rotate a key, delete,
 * purge), in a native modal <dialog>: focus moves into it, Esc cancels.
 */
import { useId, useRef, useState } from 'preact/hooks'
import { messageOf } from '../lib/api'

export interface ConfirmProps {
  label: string
  title: string
  message: preact.ComponentChildren
  confirmLabel?: string
  danger?: boolean
  small?: boolean
  disabled?: boolean
  onConfirm: () => Promise<void> | void
}

export function ConfirmButton(p: ConfirmProps) {
  const dialog = useRef<HTMLDialogElement>(null)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const titleId = useId()
  const confirm = async () => {
    setBusy(true)
    setError(null)
    try {
      await p.onConfirm()
      dialog.current?.close()
    } catch (err) {
      setError(messageOf(err))
    } finally {
      setBusy(false)
    }
  }
  const cls = `btn${p.danger ? ' danger' : ''}${p.small ? ' small' : ''}`
  return (
    <>
      <button type="button" class={cls} disabled={p.disabled} onClick={() => dialog.current?.showModal()}>
        {p.label}
      </button>
      <dialog ref={dialog} aria-labelledby={titleId} onClose={() => setError(null)}>
        <h2 id={titleId}>{p.title}</h2>
        <div>{p.message}</div>
        {error && <div class="notice error">{error}</div>}
        <div class="btn-row">
          <button
            type="button"
            class={`btn ${p.danger ? 'danger' : 'primary'}`}
            disabled={busy}
            onClick={confirm}
          >
            {p.confirmLabel ?? p.label}
          </button>
          <button type="button" class="btn" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
        </div>
      </dialog>
    </>
  )
}
