/**
 * Users and invites (admins only): change roles and remove users (never yourself, never
 * the last admin: the server refuses and says why), create single-use invite links (shown
 * once, valid 7 days) and revoke unused ones.
 */
import { useState } from 'preact/hooks'
import { Ago, Badge, Loading, Notice, Secret } from '../../components/bits'
import { ConfirmButton } from '../../components/Confirm'
import { useAction, useLoad } from '../../lib/hooks'
import { me } from '../../lib/session'
import { admin } from './api'

function Invites() {
  const list = useLoad(() => admin.invites(), [])
  const [url, setUrl] = useState<string | null>(null)
  const action = useAction()
  const create = () =>
    action.run(async () => {
      setUrl((await admin.invite()).url)
      await list.reload()
    })
  return (
    <section class="card" aria-labelledby="invites-title">
      <div class="card-head">
        <h2 id="invites-title">Invites</h2>
        <button type="button" class="btn primary" id="create-invite" disabled={action.busy} onClick={create}>
          Create invite link
        </button>
      </div>
      <Notice kind="error">{action.error ?? list.error}</Notice>
      {url && (
        <Secret value={url} note="Send this link to the person you invite. It works once, for 7 days." />
      )}
      {!list.data ? (
        <Loading what="invites" />
      ) : list.data.length === 0 ? (
        <p class="muted">No invites yet.</p>
      ) : (
        <ul class="plain-list">
          {list.data.map((i) => (
            <li key={i.id}>
              <Badge>{i.status}</Badge>{' '}
              <span class="muted">
                {`created by ${i.created_by_name ?? 'someone'} `}
                <Ago ms={i.created_at} />
                {i.used_by_name && ` · used by ${i.used_by_name}`}
              </span>{' '}
              {i.status === 'active' && (
                <ConfirmButton
                  small
                  label="Revoke"
                  title="Revoke this invite?"
                  message={<p>The link stops working.</p>}
                  onConfirm={async () => {
                    await admin.revokeInvite(i.id)
                    await list.reload()
                  }}
                />
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}

export function UsersSettings() {
  const users = useLoad(() => admin.users(), [])
  const action = useAction()
  const self = me.value?.id
  return (
    <>
      <section class="card" aria-labelledby="users-title">
        <h2 id="users-title">Users</h2>
        <Notice kind="error">{action.error ?? users.error}</Notice>
        {!users.data ? (
          <Loading what="users" />
        ) : (
          <div class="table-wrap">
            <table class="users">
              <thead>
                <tr>
                  <th>User</th>
                  <th>Role</th>
                  <th class="hide-narrow">Last sign-in</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {users.data.map((u) => (
                  <tr key={u.id} data-username={u.username}>
                    <td>
                      <strong>{u.username}</strong>
                      <div class="muted small">{`${u.passkey_count} passkey${u.passkey_count === 1 ? '' : 's'}`}</div>
                    </td>
                    <td>
                      <Badge kind={u.is_admin ? 'active' : 'muted'}>{u.role}</Badge>
                    </td>
                    <td class="hide-narrow">
                      <Ago ms={u.last_sign_in_at} />
                    </td>
                    <td>
                      {u.id !== self && (
                        <div class="btn-row">
                          <button
                            type="button"
                            class="btn small"
                            disabled={action.busy}
                            onClick={() =>
                              action.run(async () => {
                                await admin.setRole(u.id, u.is_admin ? 'user' : 'admin')
                                await users.reload()
                              })
                            }
                          >
                            {u.is_admin ? 'Make user' : 'Make admin'}
                          </button>
                          <ConfirmButton
                            small
                            danger
                            label="Remove"
                            title={`Remove ${u.username}?`}
                            message={
                              <p>
                                Their passkeys and sessions are deleted; their tokens keep working until
                                revoked.
                              </p>
                            }
                            onConfirm={async () => {
                              await admin.removeUser(u.id)
                              await users.reload()
                            }}
                          />
                        </div>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <Invites />
    </>
  )
}
