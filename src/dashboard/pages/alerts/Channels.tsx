/** A rule's channels: list with remove, and a form to add Slack, webhook or email. */
import { useState } from 'preact/hooks'
import { Notice } from '../../components/bits'
import { ConfirmButton } from '../../components/Confirm'
import { useAction } from '../../lib/hooks'
import type { ChannelConfig, ChannelView } from '../../lib/types'
import { alerts } from './api'

function target(c: ChannelView): string {
  const cfg = c.config
  if (cfg.type === 'slack') return cfg.webhook_url
  if (cfg.type === 'webhook') return `${cfg.url}${cfg.has_secret ? ' (signed)' : ''}`
  return cfg.to
}

type Kind = ChannelConfig['type']

function configOf(kind: Kind, value: string, secret: string): ChannelConfig {
  if (kind === 'slack') return { type: 'slack', webhook_url: value.trim() }
  if (kind === 'email') return { type: 'email', to: value.trim() }
  return secret ? { type: 'webhook', url: value.trim(), secret } : { type: 'webhook', url: value.trim() }
}

const PLACEHOLDER: Record<Kind, string> = {
  slack: 'https://hooks.slack.com/services/…',
  webhook: 'https://example.com/bloop-hook',
  email: 'oncall@example.com',
}

export function Channels({
  ruleId,
  channels,
  onChange,
}: {
  ruleId: number
  channels: ChannelView[]
  onChange: () => Promise<void>
}) {
  const [kind, setKind] = useState<Kind>('webhook')
  const [value, setValue] = useState('')
  const [secret, setSecret] = useState('')
  const action = useAction()
  const add = (ev: Event) => {
    ev.preventDefault()
    void action.run(async () => {
      await alerts.addChannel(ruleId, configOf(kind, value, secret))
      setValue('')
      setSecret('')
      await onChange()
    })
  }
  return (
    <>
      {channels.length === 0 ? (
        <p class="muted">
          No channels: alerts go to the server's fallback Slack or webhook URL, if one is set.
        </p>
      ) : (
        <ul class="channels">
          {channels.map((c) => (
            <li key={c.id} data-channel-id={c.id}>
              <span class="badge">{c.channel_type}</span> <span class="mono target">{target(c)}</span>
              <ConfirmButton
                small
                danger
                label="Remove"
                title="Remove this channel?"
                message={<p>{`Alerts will no longer go to ${target(c)}.`}</p>}
                onConfirm={async () => {
                  await alerts.removeChannel(ruleId, c.id)
                  await onChange()
                }}
              />
            </li>
          ))}
        </ul>
      )}
      <form class="form channel-form" onSubmit={add}>
        <div class="field-row">
          <label class="field">
            <span>Type</span>
            <select
              id="channel-type"
              value={kind}
              onChange={(ev) => setKind((ev.target as HTMLSelectElement).value as Kind)}
            >
              <option value="webhook">Webhook</option>
              <option value="slack">Slack</option>
              <option value="email">Email</option>
            </select>
          </label>
          <label class="field">
            <span>{kind === 'email' ? 'Address' : 'URL'}</span>
            <input
              id="channel-target"
              type={(kind === 'email' ? 'email' : 'url') as 'url'}
              required
              placeholder={PLACEHOLDER[kind]}
              value={value}
              onInput={(ev) => setValue((ev.target as HTMLInputElement).value)}
            />
          </label>
          {kind === 'webhook' && (
            <label class="field">
              <span>Signing secret</span>
              <input
                id="channel-secret"
                type="password"
                autocomplete="off"
                minLength={16}
                value={secret}
                onInput={(ev) => setSecret((ev.target as HTMLInputElement).value)}
              />
              <small>optional, 16+ characters: adds X-Bloop-Signature</small>
            </label>
          )}
        </div>
        <Notice kind="error">{action.error}</Notice>
        <div class="btn-row">
          <button type="submit" class="btn" disabled={action.busy}>
            Add channel
          </button>
        </div>
      </form>
    </>
  )
}
