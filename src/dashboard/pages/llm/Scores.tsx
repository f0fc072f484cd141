/**
 * A trace's scores (one per name; a new value for a name replaces it) and a form to add
 * one as the signed-in user (`source: user`). Values are 0 to 1, as the API takes them.
 * Beside them, the feedback the app's users gave the trace (thumbs up or down, with a
 * comment), newest first.
 */
import { useState } from 'preact/hooks'
import { Ago, Loading, Notice } from '../../components/bits'
import { useAction, useLoad } from '../../lib/hooks'
import { llm } from './api'

export function Scores({ id, project }: { id: string; project: string }) {
  const scores = useLoad(() => llm.scores(id, project), [id, project])
  const [name, setName] = useState('accuracy')
  const [value, setValue] = useState('')
  const [comment, setComment] = useState('')
  const action = useAction()
  const add = async (ev: Event) => {
    ev.preventDefault()
    const done = await action.run(() =>
      llm.addScore(id, project, {
        name,
        value: Number(value),
        source: 'user',
        comment: comment || undefined,
      }),
    )
    if (done) {
      setValue('')
      setComment('')
      await scores.reload()
    }
  }
  const list = scores.data?.scores ?? []
  return (
    <section class="card" id="llm-scores" aria-labelledby="llm-scores-title">
      <h2 id="llm-scores-title">Scores</h2>
      <Notice kind="error">{scores.error}</Notice>
      {!scores.data ? (
        scores.error ? null : (
          <Loading what="scores" />
        )
      ) : list.length === 0 ? (
        <p class="muted">No scores yet.</p>
      ) : (
        <ul class="plain-list">
          {list.map((s) => (
            <li key={s.name} class="score" data-name={s.name}>
              <strong>{s.name}</strong> {s.value.toFixed(2)} <span class="muted">({s.source})</span>{' '}
              {s.comment && <span>{s.comment}</span>} <Ago ms={s.updated_at} />
            </li>
          ))}
        </ul>
      )}
      <form class="form" id="llm-score-form" onSubmit={add}>
        <div class="field-row">
          <label class="field">
            <span>Name</span>
            <input
              id="llm-score-name"
              required
              maxLength={64}
              pattern="[A-Za-z0-9_\-]+"
              value={name}
              onInput={(ev) => setName((ev.target as HTMLInputElement).value)}
            />
          </label>
          <label class="field">
            <span>Value (0 to 1)</span>
            <input
              id="llm-score-value"
              type="number"
              required
              min="0"
              max="1"
              step="0.01"
              value={value}
              onInput={(ev) => setValue((ev.target as HTMLInputElement).value)}
            />
          </label>
          <label class="field">
            <span>Comment</span>
            <input
              id="llm-score-comment"
              value={comment}
              onInput={(ev) => setComment((ev.target as HTMLInputElement).value)}
            />
          </label>
        </div>
        <Notice kind="error">{action.error}</Notice>
        <div class="btn-row">
          <button type="submit" class="btn primary" disabled={action.busy}>
            Add score
          </button>
        </div>
      </form>
    </section>
  )
}

export function Feedback({ id, project }: { id: string; project: string }) {
  const votes = useLoad(() => llm.feedback(id, project), [id, project])
  const list = votes.data?.feedback ?? []
  const up = list.filter((f) => f.value === 1).length
  return (
    <section class="card" id="llm-feedback" aria-labelledby="llm-feedback-title">
      <h2 id="llm-feedback-title">Feedback</h2>
      <Notice kind="error">{votes.error}</Notice>
      {!votes.data ? (
        votes.error ? null : (
          <Loading what="feedback" />
        )
      ) : list.length === 0 ? (
        <p class="muted">No feedback on this trace.</p>
      ) : (
        <>
          <p id="llm-feedback-sum">
            {up} up, {list.length - up} down
          </p>
          <ul class="plain-list">
            {list.map((f) => (
              <li key={f.user_id} class="vote" data-user={f.user_id}>
                <span class={`vote-mark ${f.value === 1 ? 'up' : 'down'}`}>
                  {f.value === 1 ? '👍 up' : '👎 down'}
                </span>{' '}
                <strong>{f.user_id}</strong> {f.comment && <span>{f.comment}</span>} <Ago ms={f.updated_at} />
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  )
}
