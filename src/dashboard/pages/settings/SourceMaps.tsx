/**
 * Source maps per project and release: upload `.map` files (the same multipart upload the
 * CLI uses), list them, delete them. Stacks of events from that release are then shown
 * with original files, lines and function names.
 */
import { useState } from 'preact/hooks'
import { Ago, Loading, Notice } from '../../components/bits'
import { ConfirmButton } from '../../components/Confirm'
import { ProjectSelect } from '../../components/ProjectSelect'
import { bytes } from '../../lib/format'
import { useAction, useLoad } from '../../lib/hooks'
import { projectSlug, projects } from '../../lib/session'
import { sourcemaps } from './api'

function Upload({ project, onDone }: { project: string; onDone: () => void }) {
  const [release, setRelease] = useState('')
  const [files, setFiles] = useState<File[]>([])
  const [done, setDone] = useState<string | null>(null)
  const action = useAction()
  const submit = (ev: Event) => {
    ev.preventDefault()
    setDone(null)
    void action.run(async () => {
      for (const f of files) await sourcemaps.upload(project, release.trim(), f)
      setDone(`Uploaded ${files.length} map${files.length === 1 ? '' : 's'} for ${release.trim()}.`)
      ;(ev.target as HTMLFormElement).reset()
      setFiles([])
      onDone()
    })
  }
  return (
    <form class="form" onSubmit={submit} aria-label="Upload source maps">
      <div class="field-row">
        <label class="field">
          <span>Release</span>
          <input
            id="sourcemap-release"
            required
            placeholder="1.4.2"
            value={release}
            onInput={(ev) => setRelease((ev.target as HTMLInputElement).value)}
          />
        </label>
        <label class="field">
          <span>Source map files</span>
          <input
            id="sourcemap-file"
            type="file"
            accept=".map,application/json"
            multiple
            required
            onChange={(ev) => setFiles([...((ev.target as HTMLInputElement).files ?? [])])}
          />
        </label>
      </div>
      <Notice kind="error">{action.error}</Notice>
      <Notice kind="ok">{done}</Notice>
      <div class="btn-row">
        <button
          type="submit"
          class="btn primary"
          id="upload-sourcemap"
          disabled={action.busy || files.length === 0}
        >
          Upload
        </button>
      </div>
    </form>
  )
}

export function SourceMapsSettings() {
  const [chosen, setChosen] = useState(projectSlug.value ?? projects.value[0]?.slug ?? 'default')
  const [release, setRelease] = useState('')
  const list = useLoad(() => sourcemaps.list(chosen, release || undefined), [chosen, release])
  return (
    <>
      <section class="card" aria-labelledby="sm-upload-title">
        <div class="card-head">
          <h2 id="sm-upload-title">Upload</h2>
          <label class="field inline">
            <span>Project</span>
            <ProjectSelect id="sourcemap-project" value={chosen} onChange={setChosen} />
          </label>
        </div>
        <Upload project={chosen} onDone={() => void list.reload()} />
        <p class="muted small">
          From CI: <code>{`bloop sourcemaps upload --project ${chosen} --release <version> dist/`}</code> with
          a token holding <code>sourcemaps:write</code>.
        </p>
      </section>
      <section class="card" aria-labelledby="sm-list-title">
        <div class="card-head">
          <h2 id="sm-list-title">Uploaded maps</h2>
          <label class="field inline">
            <span>Release</span>
            <input
              type="search"
              placeholder="all"
              value={release}
              onChange={(ev) => setRelease((ev.target as HTMLInputElement).value.trim())}
            />
          </label>
        </div>
        <Notice kind="error">{list.error}</Notice>
        {!list.data ? (
          list.error ? null : (
            <Loading what="source maps" />
          )
        ) : list.data.items.length === 0 ? (
          <p class="muted">No source maps for this project{release ? ` and release ${release}` : ''}.</p>
        ) : (
          <div class="table-wrap">
            <table class="sourcemaps">
              <thead>
                <tr>
                  <th>File</th>
                  <th>Release</th>
                  <th class="num hide-narrow">Size</th>
                  <th class="hide-narrow">Uploaded</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((m) => (
                  <tr key={m.id} data-sourcemap-id={m.id}>
                    <td class="mono">{m.filename}</td>
                    <td class="mono">{m.release}</td>
                    <td class="num hide-narrow">{`${bytes(m.size_bytes)} (${bytes(m.stored_bytes)} stored)`}</td>
                    <td class="hide-narrow">
                      <Ago ms={m.uploaded_at} />{' '}
                      {m.uploaded_by && <span class="muted">{`by ${m.uploaded_by}`}</span>}
                    </td>
                    <td>
                      <ConfirmButton
                        small
                        danger
                        label="Delete"
                        title={`Delete ${m.filename}?`}
                        message={
                          <p>{`Stacks of release ${m.release} will no longer be mapped through it.`}</p>
                        }
                        onConfirm={async () => {
                          await sourcemaps.remove(chosen, m.id)
                          await list.reload()
                        }}
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  )
}
