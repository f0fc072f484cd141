/**
 * The signed-in user's own passkeys: add one (another laptop, a phone, a security key),
 * rename, remove (never the last one: the server refuses with 409).
 */
import { startRegistration } from '@simplewebauthn/browser'
import { useState } from 'preact/hooks'
import { Ago, Loading, Notice } from '../../components/bits'
import { ConfirmButton } from '../../components/Confirm'
import { useAction, useLoad } from '../../lib/hooks'
import { me } from '../../lib/session'
import type { Passkey } from '../../lib/types'
import { passkeys } from './api'

async function addPasskey(name: string): Promise<void> {
  const started = await passkeys.start(name)
  const credential = await startRegistration({ optionsJSON: started.options })
  await passkeys.finish(started.challenge_id, credential)
}

function PasskeyRow({ k, only, onChange }: { k: Passkey; only: boolean; onChange: () => Promise<void> }) {
  const [name, setName] = useState(k.name)
  const action = useAction()
  return (
    <li class="card passkey" data-passkey-id={k.id}>
      <form
        class="inline-form"
        onSubmit={(ev) => {
          ev.preventDefault()
          void action.run(async () => {
            await passkeys.rename(k.id, name.trim())
            await onChange()
          })
        }}
      >
        <label class="sr-only" for={`passkey-${k.id}`}>
          Passkey name
        </label>
        <input
          id={`passkey-${k.id}`}
          value={name}
          maxLength={64}
          onInput={(ev) => setName((ev.target as HTMLInputElement).value)}
        />
        <button type="submit" class="btn small" disabled={action.busy || name.trim() === k.name}>
          Rename
        </button>
        <ConfirmButton
          small
          danger
          label="Remove"
          disabled={only}
          title={`Remove ${k.name}?`}
          message={<p>You will no longer be able to sign in with this passkey.</p>}
          onConfirm={async () => {
            await passkeys.remove(k.id)
            await onChange()
          }}
        />
      </form>
      <p class="muted small">
        added <Ago ms={k.created_at} /> · last used <Ago ms={k.last_used_at} />
        {only && ' · your only passkey cannot be removed'}
      </p>
      <Notice kind="error">{action.error}</Notice>
    </li>
  )
}

export function AccountSettings() {
  const keys = useLoad(() => passkeys.list(), [])
  const [name, setName] = useState('')
  const action = useAction()
  const add = (ev: Event) => {
    ev.preventDefault()
    void action.run(async () => {
      await addPasskey(name.trim())
      setName('')
      await keys.reload()
    })
  }
  return (
    <>
      <section class="card" aria-labelledby="passkeys-title">
        <h2 id="passkeys-title">{`Passkeys of ${me.value?.username ?? 'your account'}`}</h2>
        <p class="muted">bloop has no passwords. Add a passkey for every device you sign in from.</p>
        <form class="inline-form" onSubmit={add}>
          <label class="sr-only" for="new-passkey-name">
            Name of the new passkey
          </label>
          <input
            id="new-passkey-name"
            placeholder="e.g. work laptop"
            maxLength={64}
            value={name}
            onInput={(ev) => setName((ev.target as HTMLInputElement).value)}
          />
          <button type="submit" class="btn primary" disabled={action.busy}>
            Add a passkey
          </button>
        </form>
        <Notice kind="error">{action.error}</Notice>
      </section>
      <Notice kind="error">{keys.error}</Notice>
      {!keys.data ? (
        <Loading what="passkeys" />
      ) : (
        <ul class="passkeys">
          {keys.data.map((k) => (
            <PasskeyRow
              key={`${k.id}:${k.name}`}
              k={k}
              only={keys.data?.length === 1}
              onChange={keys.reload}
            />
          ))}
        </ul>
      )}
    </>
  )
}
