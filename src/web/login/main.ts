/**
 * The sign-in page's script (bundled for the browser; see web/assets.ts). It talks to the
 * /auth API only and renders one of: first-user setup, invite registration, sign-in, or the
 * signed-in account panel (own passkeys, sign out). `document.body.dataset.state` names the
 * part shown, for people reading the DOM and for the browser tests.
 */
import { browserSupportsWebAuthn, startAuthentication, startRegistration } from '@simplewebauthn/browser'
import { ApiError } from '../browser/api'
import { safeNext } from './next'
import { type OriginAdvice, type OriginFacts, originAdvice } from './origin'

type State = 'loading' | 'unsupported' | 'origin' | 'setup' | 'invite' | 'signin' | 'account'
const PARTS: State[] = ['loading', 'unsupported', 'origin', 'setup', 'invite', 'signin', 'account']

interface User {
  id: string
  username: string
  role: 'admin' | 'user'
}
interface Status {
  setup_complete: boolean
  user: User | null
  rp_origin: string
  rp_id: string
}
interface Passkey {
  id: string
  name: string
  created_at: number
  last_used_at: number | null
}
interface Started {
  challenge_id: string
  // biome-ignore lint/suspicious/noExplicitAny: the options JSON goes straight to @simplewebauthn/browser
  options: any
}

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id)
  if (!el) throw new Error(`expected an element #${id} in the page`)
  return el as T
}

const params = new URLSearchParams(location.search)
const inviteToken = params.get('invite')

function show(state: State): void {
  for (const part of PARTS) $(part).hidden = part !== state
  document.body.dataset.state = state
}

function say(text: string, kind: 'error' | 'ok' | '' = ''): void {
  const m = $('message')
  m.textContent = text
  m.className = `message ${kind}`
}

/** What the last /auth/status said about where passkeys work (for a later SecurityError). */
let origin: OriginFacts | null = null

function showOrigin(a: OriginAdvice): void {
  $('origin-why').textContent = a.why
  $('origin-config').textContent = a.config
  $('origin-open').hidden = a.open === null
  if (a.open !== null) link($('origin-open-link'), a.open)
  $('origin-tunnel').hidden = a.tunnel === null
  if (a.tunnel !== null) {
    $('origin-tunnel-command').textContent = a.tunnel.command
    link($('origin-tunnel-link'), a.tunnel.open)
    $('origin-tunnel-note').textContent = a.tunnel.note ? ` (${a.tunnel.note})` : ''
  }
  say('')
  show('origin')
}

function link(a: HTMLElement, href: string): void {
  a.textContent = href
  a.setAttribute('href', href)
}

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const data = await res.json().catch(() => null)
  if (!res.ok) throw ApiError.of(res.status, data)
  return data as T
}

/** Runs a button's action with the button disabled and errors shown in the message area. */
async function busy(button: HTMLButtonElement, action: () => Promise<void>): Promise<void> {
  button.disabled = true
  say('')
  try {
    await action()
  } catch (err) {
    const e = err as Error
    // The browser refused the origin or RP id: the same explanation as the check up front.
    const advice = e.name === 'SecurityError' && origin ? originAdvice(origin, true) : null
    if (advice) return showOrigin(advice)
    // The browser's own refusal (user cancelled, timed out) is a DOMException-like error.
    const text = e instanceof ApiError ? e.message : `passkey request did not complete: ${e.message}`
    say(text, 'error')
  } finally {
    button.disabled = false
  }
}

/** Where to go after signing in: a path of this origin from ?next=, else stay here. */
const nextPath = (): string | null => safeNext(params.get('next'), location.origin)

async function afterSignIn(): Promise<void> {
  const next = nextPath()
  if (next) {
    location.assign(next)
    return
  }
  if (inviteToken) history.replaceState(null, '', location.pathname)
  await render()
}

async function register(startPath: string, finishPath: string, body: unknown): Promise<void> {
  const started = await api<Started>('POST', startPath, body)
  const credential = await startRegistration({ optionsJSON: started.options })
  await api('POST', finishPath, { challenge_id: started.challenge_id, credential })
}

const time = (ms: number | null) => (ms === null ? 'never' : new Date(ms).toLocaleString())

async function renderPasskeys(): Promise<void> {
  const list = $('passkeys')
  const keys = await api<Passkey[]>('GET', '/auth/passkeys')
  list.replaceChildren(
    ...keys.map((k) => {
      const li = document.createElement('li')
      li.dataset.passkeyId = k.id
      const row = document.createElement('div')
      row.className = 'row'
      const name = document.createElement('input')
      name.value = k.name
      name.maxLength = 64
      name.setAttribute('aria-label', 'Passkey name')
      const save = document.createElement('button')
      save.type = 'button'
      save.textContent = 'Rename'
      save.addEventListener('click', () =>
        busy(save, async () => {
          await api('PATCH', `/auth/passkeys/${encodeURIComponent(k.id)}`, { name: name.value })
          say('Passkey renamed.', 'ok')
          await renderPasskeys()
        }),
      )
      const remove = document.createElement('button')
      remove.type = 'button'
      remove.textContent = 'Remove'
      remove.disabled = keys.length === 1
      remove.title = keys.length === 1 ? 'Your only passkey cannot be removed' : ''
      remove.addEventListener('click', () =>
        busy(remove, async () => {
          await api('DELETE', `/auth/passkeys/${encodeURIComponent(k.id)}`)
          say('Passkey removed.', 'ok')
          await renderPasskeys()
        }),
      )
      row.append(name, save, remove)
      const meta = document.createElement('small')
      meta.textContent = `added ${time(k.created_at)} · last used ${time(k.last_used_at)}`
      li.append(row, meta)
      return li
    }),
  )
}

async function render(): Promise<void> {
  const status = await api<Status>('GET', '/auth/status')
  origin = {
    page: location.href,
    rpOrigin: status.rp_origin,
    rpId: status.rp_id,
    secureContext: window.isSecureContext,
  }
  // Before any ceremony: at the wrong address the browser would only say "invalid domain"
  // (and on plain http it hides WebAuthn altogether, which looks like an old browser).
  const advice = status.user ? null : originAdvice(origin)
  if (advice) return showOrigin(advice)
  if (!browserSupportsWebAuthn()) return show('unsupported')
  // Already signed in and sent here from a dashboard page: straight back to it.
  const next = nextPath()
  if (status.user && next && !inviteToken) {
    location.replace(next)
    return
  }
  if (status.user) {
    $('account-name').textContent = status.user.username
    $('account-role').textContent = status.user.role === 'admin' ? 'Administrator' : 'Member'
    await renderPasskeys()
    return show('account')
  }
  if (inviteToken) return show('invite')
  show(status.setup_complete ? 'signin' : 'setup')
}

$<HTMLFormElement>('setup').addEventListener('submit', (ev) => {
  ev.preventDefault()
  busy($('setup-submit'), async () => {
    const username = $<HTMLInputElement>('setup-username').value
    await register('/auth/register/start', '/auth/register/finish', { username })
    await afterSignIn()
  })
})

$<HTMLFormElement>('invite').addEventListener('submit', (ev) => {
  ev.preventDefault()
  busy($('invite-submit'), async () => {
    const username = $<HTMLInputElement>('invite-username').value
    await register('/auth/invite/register/start', '/auth/invite/register/finish', {
      username,
      invite_token: inviteToken,
    })
    await afterSignIn()
  })
})

$('signin-submit').addEventListener('click', () =>
  busy($('signin-submit'), async () => {
    const started = await api<Started>('POST', '/auth/login/start', {})
    const credential = await startAuthentication({ optionsJSON: started.options })
    await api('POST', '/auth/login/finish', { challenge_id: started.challenge_id, credential })
    await afterSignIn()
  }),
)

$<HTMLFormElement>('add-passkey').addEventListener('submit', (ev) => {
  ev.preventDefault()
  busy($('add-passkey-submit'), async () => {
    const input = $<HTMLInputElement>('add-passkey-name')
    const name = input.value.trim()
    await register('/auth/passkeys/register/start', '/auth/passkeys/register/finish', name ? { name } : {})
    input.value = ''
    say('Passkey added.', 'ok')
    await renderPasskeys()
  })
})

$('signout').addEventListener('click', () =>
  busy($('signout'), async () => {
    await api('POST', '/auth/logout', {})
    say('Signed out.', 'ok')
    await render()
  }),
)

render().catch((err) => say(`could not load: ${(err as Error).message}`, 'error'))
