/**
 * API tokens for scripts and CI: create one for a project with scopes and an optional
 * expiry (the token is shown once, with copy), list them, revoke them.
 */
import { useState } from 'preact/hooks'
// The server's own list of scopes, so the two cannot drift.
import { SCOPES, type Scope } from '../../../http/scopes'
import { Ago, Badge, Loading, Notice, Secret } from '../../components/bits'
import { ConfirmButton } from '../../components/Confirm'
import { ProjectSelect } from '../../components/ProjectSelect'
import { useAction, useLoad } from '../../lib/hooks'
import { me, projectName, projectSlug, projects } from '../../lib/session'
import type { Token } from '../../lib/types'
import { tokens } from './api'

function state(t: Token): { kind: string; text: string } {
  if (t.revoked_at !== null) return { kind: 'muted', text: 'revoked' }
  if (t.expires_at !== null && t.expires_at <= Date.now()) return { kind: 'expired', text: 'expired' }
  return { kind: 'active', text: 'active' }
}

function CreateToken({ onCreated }: { onCreated: (token: string) => void }) {
  const [name, setName] = useState('')
  const [project, setProject] = useState(projectSlug.value ?? projects.value[0]?.slug ?? 'default')
  const [scopes, setScopes] = useState<Scope[]>(['errors:read'])
  const [days, setDays] = useState('')
  const action = useAction()
  const toggle = (s: Scope) => setScopes(scopes.includes(s) ? scopes.filter((x) => x !== s) : [...scopes, s])
  const submit = (ev: Event) => {
    ev.preventDefault()
    void action.run(async () => {
      const created = await tokens.create({
        name: name.trim(),
        project_id: project,
        scopes,
        expires_in_days: days ? Number(days) : null,
      })
      onCreated(created.token)
      setName('')
    })
  }
  return (
    <form class="form" onSubmit={submit} aria-label="New token">
      <div class="field-row">
        <label class="field">
          <span>Name</span>
          <input
            id="token-name"
            required
            maxLength={100}
            placeholder="ci"
            value={name}
            onInput={(ev) => setName((ev.target as HTMLInputElement).value)}
          />
        </label>
        <label class="field">
          <span>Project</span>
          <ProjectSelect id="token-project" value={project} onChange={setProject} />
        </label>
        <label class="field">
          <span>Expires after (days)</span>
          <input
            id="token-days"
            type="number"
            min={1}
            max={3650}
            placeholder="never"
            value={days}
            onInput={(ev) => setDays((ev.target as HTMLInputElement).value)}
          />
        </label>
      </div>
      <fieldset class="checks">
        <legend>Scopes</legend>
        {SCOPES.map((s) => (
          <label key={s}>
            <input
              type="checkbox"
              name="scope"
              value={s}
              checked={scopes.includes(s)}
              onChange={() => toggle(s)}
            />{' '}
            {s}
          </label>
        ))}
      </fieldset>
      <Notice kind="error">{action.error}</Notice>
      <div class="btn-row">
        <button
          type="submit"
          class="btn primary"
          id="create-token"
          disabled={action.busy || scopes.length === 0}
        >
          Create token
        </button>
      </div>
    </form>
  )
}

export function TokensSettings() {
  const list = useLoad(() => tokens.list(), [])
  const [created, setCreated] = useState<string | null>(null)
  const user = me.value
  return (
    <>
      <section class="card" aria-labelledby="new-token-title">
        <h2 id="new-token-title">New API token</h2>
        <CreateToken
          onCreated={(t) => {
            setCreated(t)
            void list.reload()
          }}
        />
      </section>
      {created && <Secret value={created} note="Copy the token now: it is shown only this once." />}
      <Notice kind="error">{list.error}</Notice>
      {!list.data ? (
        <Loading what="tokens" />
      ) : list.data.length === 0 ? (
        <p class="muted">No tokens yet.</p>
      ) : (
        <div class="table-wrap card">
          <table class="tokens">
            <thead>
              <tr>
                <th>Name</th>
                <th>Scopes</th>
                <th class="hide-narrow">Last used</th>
                <th>State</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {list.data.map((t) => {
                const st = state(t)
                const mayRevoke = t.revoked_at === null && (user?.is_admin || t.created_by === user?.id)
                return (
                  <tr key={t.id} data-token-id={t.id}>
                    <td>
                      <strong>{t.name}</strong>
                      <div class="muted small">
                        <span class="mono">{`${t.token_prefix}…`}</span> · {projectName(t.project_id)}
                        {t.created_by_name && ` · by ${t.created_by_name}`}
                      </div>
                    </td>
                    <td class="small">{t.scopes.join(', ')}</td>
                    <td class="hide-narrow">
                      <Ago ms={t.last_used_at} />
                    </td>
                    <td>
                      <Badge kind={st.kind}>{st.text}</Badge>
                    </td>
                    <td>
                      {mayRevoke && (
                        <ConfirmButton
                          small
                          danger
                          label="Revoke"
                          title={`Revoke ${t.name}?`}
                          message={<p>Requests with this token fail from the next one on.</p>}
                          onConfirm={async () => {
                            await tokens.revoke(t.id)
                            await list.reload()
                          }}
                        />
                      )}
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  )
}
