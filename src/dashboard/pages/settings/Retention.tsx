/**
 * Retention (admins only): how long raw events and hourly counts are kept, per-project
 * overrides of the raw-event window, what the database holds now, and a purge that runs
 * a pass at once (confirmed first) and says what it deleted.
 */
import { useState } from 'preact/hooks'
import { Ago, Loading, Notice } from '../../components/bits'
import { ConfirmButton } from '../../components/Confirm'
import { ProjectSelect } from '../../components/ProjectSelect'
import { bytes } from '../../lib/format'
import { useAction, useLoad } from '../../lib/hooks'
import { projects } from '../../lib/session'
import type { RetentionReport, RetentionView } from '../../lib/types'
import { retention } from './api'

function Global({ v, onSaved }: { v: RetentionView; onSaved: (v: RetentionView) => void }) {
  const [raw, setRaw] = useState(String(v.global.raw_events_days))
  const [hourly, setHourly] = useState(String(v.global.hourly_counts_days))
  const action = useAction()
  const submit = (ev: Event) => {
    ev.preventDefault()
    void action.run(async () =>
      onSaved(await retention.update({ raw_events_days: Number(raw), hourly_counts_days: Number(hourly) })),
    )
  }
  return (
    <form class="form" onSubmit={submit} aria-label="Global retention">
      <div class="field-row">
        <label class="field">
          <span>Raw events (days)</span>
          <input
            id="retention-raw"
            type="number"
            min={1}
            max={3650}
            required
            value={raw}
            onInput={(ev) => setRaw((ev.target as HTMLInputElement).value)}
          />
        </label>
        <label class="field">
          <span>Hourly counts (days)</span>
          <input
            id="retention-hourly"
            type="number"
            min={1}
            max={3650}
            required
            value={hourly}
            onInput={(ev) => setHourly((ev.target as HTMLInputElement).value)}
          />
        </label>
      </div>
      <p class="muted small">
        {v.global.source === 'config'
          ? 'From the configuration file.'
          : `Set by ${v.global.set_by ?? 'an admin'}.`}{' '}
        Issues, samples and history are kept regardless.
      </p>
      <Notice kind="error">{action.error}</Notice>
      <div class="btn-row">
        <button type="submit" class="btn primary" id="save-retention" disabled={action.busy}>
          Save
        </button>
      </div>
    </form>
  )
}

function Overrides({ v, onSaved }: { v: RetentionView; onSaved: (v: RetentionView) => void }) {
  const [project, setProject] = useState(projects.value[0]?.slug ?? 'default')
  const [days, setDays] = useState('')
  const action = useAction()
  const save = (project_id: string, raw_events_days: number) =>
    action.run(async () =>
      onSaved(await retention.update({ per_project: [{ project_id, raw_events_days }] })),
    )
  return (
    <>
      {v.per_project.length === 0 ? (
        <p class="muted">No overrides: every project keeps raw events for the global window.</p>
      ) : (
        <ul class="plain-list overrides">
          {v.per_project.map((o) => (
            <li key={o.project_id}>
              <strong>{o.project_name ?? o.project_id}</strong>{' '}
              {`keeps raw events ${o.raw_events_days} days `}
              <button type="button" class="btn small" onClick={() => save(o.project_id, 0)}>
                Remove override
              </button>
            </li>
          ))}
        </ul>
      )}
      <form
        class="inline-form overrides-form"
        onSubmit={(ev) => {
          ev.preventDefault()
          void save(project, Number(days))
        }}
      >
        <ProjectSelect label="Project" value={project} onChange={setProject} />
        <input
          aria-label="Days (0 removes the override)"
          type="number"
          min={0}
          max={3650}
          required
          placeholder="days"
          value={days}
          onInput={(ev) => setDays((ev.target as HTMLInputElement).value)}
        />
        <button type="submit" class="btn small" disabled={action.busy}>
          Set override
        </button>
      </form>
      <Notice kind="error">{action.error}</Notice>
    </>
  )
}

function Report({ r }: { r: RetentionReport }) {
  return (
    <Notice kind="ok">
      {`Purged ${r.raw_events_deleted} raw events and ${r.hourly_counts_deleted} hourly counts in ${r.duration_ms} ms; ${r.pages_freed} pages returned to the disk.`}
    </Notice>
  )
}

export function RetentionSettings() {
  const view = useLoad(() => retention.get(), [])
  const [report, setReport] = useState<RetentionReport | null>(null)
  if (!view.data)
    return view.error ? <Notice kind="error">{view.error}</Notice> : <Loading what="retention" />
  const v = view.data
  const s = v.storage
  return (
    <>
      <section class="card" aria-labelledby="storage-title">
        <h2 id="storage-title">Storage</h2>
        <div class="stats">
          <div class="stat">
            <strong id="storage-db">{bytes(s.db_size_bytes)}</strong>
            <span>database</span>
          </div>
          <div class="stat">
            <strong>{bytes(s.wal_size_bytes)}</strong>
            <span>write-ahead log</span>
          </div>
          <div class="stat">
            <strong>{bytes(s.free_bytes)}</strong>
            <span>free inside</span>
          </div>
          <div class="stat">
            <strong id="storage-raw">{s.raw_events_count}</strong>
            <span>raw events</span>
          </div>
          <div class="stat">
            <strong>{s.hourly_counts_count}</strong>
            <span>hourly counts</span>
          </div>
        </div>
        <p class="muted small">
          Oldest raw event <Ago ms={s.oldest_raw_event_at} />. A pass runs every{' '}
          {v.schedule.prune_interval_secs} s
          {v.schedule.next_run_at !== null && (
            <>
              {' '}
              (next <Ago ms={v.schedule.next_run_at} />)
            </>
          )}
          .
        </p>
        <ConfirmButton
          danger
          label="Purge now"
          title="Delete expired data now?"
          message={
            <p>
              Raw events and hourly counts older than their windows are deleted now. Ingest keeps running.
            </p>
          }
          onConfirm={async () => {
            setReport(await retention.purge())
            await view.reload()
          }}
        />
        {report && <Report r={report} />}
      </section>
      <div class="grid-2">
        <section class="card" aria-labelledby="global-title">
          <h2 id="global-title">Keep data for</h2>
          <Global key={v.global.updated_at} v={v} onSaved={view.set} />
        </section>
        <section class="card" aria-labelledby="overrides-title">
          <h2 id="overrides-title">Per project</h2>
          <Overrides v={v} onSaved={view.set} />
        </section>
      </div>
    </>
  )
}
