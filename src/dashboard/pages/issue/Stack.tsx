/**
 * A stored stack. When source maps turned its frames back into original code
 * (`symbolicated`), the original frames are shown first, each with a few lines of source
 * around the line; a toggle shows the stack exactly as the client sent it.
 */
import { useState } from 'preact/hooks'
import type { SourceContext, Symbolicated, SymbolicatedFrame } from '../../lib/types'

function Context({ c }: { c: SourceContext }) {
  const lines = [...c.pre, c.line, ...c.post]
  const at = c.pre.length
  return (
    <pre class="context">
      {lines.map((text, i) => (
        <div key={i} class={i === at ? 'context-line hit' : 'context-line'}>
          <span class="ln">{c.start_line + i}</span>
          <span>{text}</span>
        </div>
      ))}
    </pre>
  )
}

function Frame({ f }: { f: SymbolicatedFrame }) {
  const o = f.original
  if (!o) {
    return (
      <li class="frame unmapped">
        <code>{f.raw}</code>
      </li>
    )
  }
  const name = o.function ?? o.name ?? f.function ?? '<anonymous>'
  return (
    <li class="frame mapped">
      <div class="frame-head">
        <code class="frame-fn">{name}</code>
        <code class="frame-loc">{`${o.file}:${o.line}:${o.column}`}</code>
      </div>
      {o.context && <Context c={o.context} />}
      <div class="muted frame-raw">
        <code>{f.raw}</code>
      </div>
    </li>
  )
}

export function Stack({ stack, symbolicated }: { stack: string | null; symbolicated?: Symbolicated }) {
  const [raw, setRaw] = useState(false)
  if (!stack) return <p class="muted">No stack was sent with this event.</p>
  if (!symbolicated) return <pre class="stack">{stack}</pre>
  return (
    <div class="stack-view">
      <div class="btn-row stack-toggle">
        <span class="muted">
          {`${symbolicated.mapped_frames} of ${symbolicated.frames.filter((f) => f.file).length} frames mapped with source maps for ${symbolicated.release}`}
        </span>
        <button type="button" class="btn small" aria-pressed={raw} onClick={() => setRaw(!raw)}>
          {raw ? 'Show original' : 'Show raw'}
        </button>
      </div>
      {raw ? (
        <pre class="stack">{stack}</pre>
      ) : (
        <ol class="frames">
          {symbolicated.frames.map((f, i) => (
            <Frame key={i} f={f} />
          ))}
        </ol>
      )}
    </div>
  )
}
