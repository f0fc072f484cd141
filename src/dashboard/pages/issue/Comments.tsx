/**
 * The issue's comments: author and time, oldest first, a box to add one (`c` focuses it)
 * and a delete button on your own (an admin may delete any).
 */
import { useState } from 'preact/hooks'
import { Ago, Notice } from '../../components/bits'
import { useAction } from '../../lib/hooks'
import { isAdmin, me } from '../../lib/session'
import type { Comment } from '../../lib/types'
import { issue } from './api'

/** The server's cap (errors/comments.ts). */
const MAX_CHARS = 4000

export function Comments(p: {
  fingerprint: string
  projectId: string
  comments: Comment[]
  onChange: () => void
}) {
  const [text, setText] = useState('')
  const action = useAction()
  const send = (ev: Event) => {
    ev.preventDefault()
    const body = text.trim()
    if (!body) return
    void action.run(async () => {
      await issue.comment(p.fingerprint, p.projectId, body)
      setText('')
      p.onChange()
    })
  }
  const mine = (c: Comment) => isAdmin.value || c.author_id === me.value?.id
  return (
    <>
      {p.comments.length === 0 ? (
        <p class="muted">No comments yet.</p>
      ) : (
        <ol class="comments">
          {p.comments.map((c) => (
            <li key={c.id} data-comment={c.id}>
              <div class="comment-head">
                <strong class="who">{c.author}</strong> <Ago ms={c.created_at} />
                {mine(c) && (
                  <button
                    type="button"
                    class="link danger"
                    disabled={action.busy}
                    onClick={() =>
                      action.run(async () => {
                        // A comment of an issue merged into this one is deleted on its own issue.
                        await issue.deleteComment(c.fingerprint, p.projectId, c.id)
                        p.onChange()
                      })
                    }
                  >
                    Delete
                  </button>
                )}
              </div>
              <p class="comment-body">{c.body}</p>
            </li>
          ))}
        </ol>
      )}
      <form class="comment-form" onSubmit={send}>
        <label class="field">
          <span>Add a comment</span>
          <textarea
            id="comment-body"
            rows={3}
            maxLength={MAX_CHARS}
            value={text}
            onInput={(ev) => setText((ev.target as HTMLTextAreaElement).value)}
            onKeyDown={(ev) => {
              if (ev.key === 'Enter' && (ev.metaKey || ev.ctrlKey)) send(ev)
            }}
          />
        </label>
        <button type="submit" class="btn small primary" disabled={action.busy || text.trim() === ''}>
          Comment
        </button>
      </form>
      <Notice kind="error">{action.error}</Notice>
    </>
  )
}
