/**
 * The keyboard shortcuts of a page, shown in a native modal <dialog> on `?` (Esc closes
 * it). Each page passes the keys it binds, so the overlay never lists a key that does
 * nothing there.
 */
import { useRef } from 'preact/hooks'
import { useKeys } from '../lib/hooks'

export interface Shortcut {
  keys: string
  does: string
}

export function KeyHelp({ shortcuts }: { shortcuts: Shortcut[] }) {
  const dialog = useRef<HTMLDialogElement>(null)
  useKeys(
    {
      '?': (ev) => {
        ev.preventDefault()
        const d = dialog.current
        if (d?.open) d.close()
        else d?.showModal()
      },
    },
    [],
  )
  return (
    <>
      <button type="button" class="btn small key-help-open" onClick={() => dialog.current?.showModal()}>
        <kbd>?</kbd> Shortcuts
      </button>
      <dialog ref={dialog} class="key-help" aria-labelledby="key-help-title">
        <h2 id="key-help-title">Keyboard shortcuts</h2>
        <dl>
          {[...shortcuts, { keys: '?', does: 'Show or hide this help' }].map((s) => (
            <div key={s.keys}>
              <dt>
                <kbd>{s.keys}</kbd>
              </dt>
              <dd>{s.does}</dd>
            </div>
          ))}
        </dl>
        <form method="dialog">
          <button type="submit" class="btn">
            Close
          </button>
        </form>
      </dialog>
    </>
  )
}
