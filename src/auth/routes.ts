/**
 * /auth/*: the sign-in page, passkey ceremonies, sessions and the user's own passkeys.
 *
 *   GET    /auth/login                        the sign-in page (first user, invite, sign-in, account)
 *   GET    /auth/status                       {setup_complete, user|null}
 *   POST   /auth/register/start|finish        first user only (becomes admin)
 *   POST   /auth/invite/register/start|finish with an invite token
 *   POST   /auth/login/start|finish           discoverable passkey, no username
 *   POST   /auth/logout                       ends the session, clears the cookie
 *   GET    /auth/passkeys                     own passkeys
 *   POST   /auth/passkeys/register/start|finish   add a passkey
 *   PATCH  /auth/passkeys/:id                 rename; DELETE removes (never the last)
 *
 * Every route is rate limited per client IP (`rate_limit.auth_per_second` with a burst of
 * `auth_burst_size`, 429 + Retry-After). Expired sessions are deleted by an hourly cron job.
 */
import { cron } from '@elysiajs/cron'
import { Elysia } from 'elysia'
import { readCookie, SESSION_COOKIE, type SessionPrincipal } from '../http/auth'
import { json } from '../http/errors'
import { RateLimiter } from '../http/ratelimit'
import { parseBody } from '../http/validate'
import type { Services } from '../services'
import { loadAssets } from '../web/assets'
import { LOGIN_BODY, LOGIN_TITLE } from '../web/login/markup'
import { pageResponse, renderPage } from '../web/page'
import { Accounts, type SignedIn } from './accounts'
import {
  FinishBody,
  InviteStartBody,
  PasskeyRenameBody,
  PasskeyStartBody,
  passkeyView,
  RegisterStartBody,
  userView,
} from './model'
import { OriginWatch, relyingParty } from './origin'
import { deleteExpiredSessions, deleteSession, sessionCookie } from './sessions'
import { getUser } from './users'
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from './webauthn'

export const SESSION_CLEANUP_JOB = 'session-cleanup'

export function authRoutes(s: Services) {
  const rp = relyingParty(s.config)
  const ttl = s.config.auth.session_ttl_secs
  const accounts = new Accounts({ db: s.db, rp, now: s.now, sessionTtlSecs: ttl })
  const limiter = new RateLimiter(
    s.config.rate_limit.auth_per_second,
    s.config.rate_limit.auth_burst_size,
    s.now,
  )
  const origins = new OriginWatch(rp, s.log)

  /** The signed-in user, or null (never throws: status and logout work signed out). */
  const currentUser = (request: Request): SessionPrincipal | null => {
    try {
      return s.guard.session(request)
    } catch {
      return null
    }
  }

  const signedIn = (request: Request, r: SignedIn): Response => {
    const previous = readCookie(request, SESSION_COOKIE)
    if (previous) deleteSession(s.db, previous)
    s.log.info('signed in', { user_id: r.user.id, username: r.user.username })
    return json({ user: userView(r.user) }, 200, { 'set-cookie': sessionCookie(r.session, rp.origin, ttl) })
  }

  const finishBody = (body: unknown) => {
    const b = parseBody(FinishBody, body)
    return { challengeId: b.challenge_id, credential: b.credential as unknown }
  }

  return (
    new Elysia({ name: 'auth' })
      .use(
        cron({
          name: SESSION_CLEANUP_JOB,
          pattern: '0 7 * * * *',
          run: () => {
            const removed = deleteExpiredSessions(s.db, s.now())
            if (removed > 0) s.log.info('expired sessions removed', { removed })
          },
        }),
      )
      // onRequest runs before body parsing, so even malformed requests count against the limit.
      .onRequest(({ request }) => {
        if (!new URL(request.url).pathname.startsWith('/auth/')) return
        limiter.check(s.clientIp(request), 'sign-in')
        origins.observe(request)
      })
      .get('/auth/login', async () =>
        pageResponse(renderPage(await loadAssets(), 'login', { title: LOGIN_TITLE, body: LOGIN_BODY })),
      )
      .get('/auth/status', ({ request }) => {
        const p = currentUser(request)
        const user = p ? getUser(s.db, p.userId) : null
        return { setup_complete: accounts.setupComplete(), user: user ? userView(user) : null }
      })
      .post('/auth/register/start', ({ body }) =>
        accounts.startFirstUser(parseBody(RegisterStartBody, body).username),
      )
      .post('/auth/register/finish', async ({ request, body }) => {
        const b = finishBody(body)
        return signedIn(
          request,
          await accounts.finishFirstUser(b.challengeId, b.credential as RegistrationResponseJSON),
        )
      })
      .post('/auth/invite/register/start', ({ body }) => {
        const b = parseBody(InviteStartBody, body)
        return accounts.startInvite(b.username, b.invite_token)
      })
      .post('/auth/invite/register/finish', async ({ request, body }) => {
        const b = finishBody(body)
        return signedIn(
          request,
          await accounts.finishInvite(b.challengeId, b.credential as RegistrationResponseJSON),
        )
      })
      .post('/auth/login/start', () => accounts.startLogin())
      .post('/auth/login/finish', async ({ request, body }) => {
        const b = finishBody(body)
        return signedIn(
          request,
          await accounts.finishLogin(b.challengeId, b.credential as AuthenticationResponseJSON),
        )
      })
      .post('/auth/logout', ({ request }) => {
        const token = readCookie(request, SESSION_COOKIE)
        if (token !== null) {
          s.guard.checkCsrf(request)
          deleteSession(s.db, token)
        }
        return json({ status: 'ok' }, 200, { 'set-cookie': sessionCookie(null, rp.origin, ttl) })
      })
      .get('/auth/passkeys', ({ request }) =>
        accounts.passkeys(s.guard.session(request).userId).map(passkeyView),
      )
      .post('/auth/passkeys/register/start', ({ request, body }) => {
        const user = s.guard.session(request)
        return accounts.startAddPasskey(user, parseBody(PasskeyStartBody, body ?? {}).name)
      })
      .post('/auth/passkeys/register/finish', async ({ request, body }) => {
        const user = s.guard.session(request)
        const b = finishBody(body)
        const created = await accounts.finishAddPasskey(
          user,
          b.challengeId,
          b.credential as RegistrationResponseJSON,
        )
        s.log.info('passkey added', { user_id: user.userId, passkey: created.name })
        return json(passkeyView(created), 201)
      })
      .patch('/auth/passkeys/:id', ({ request, body, params }) => {
        const user = s.guard.session(request)
        return passkeyView(
          accounts.renamePasskey(user.userId, params.id, parseBody(PasskeyRenameBody, body).name),
        )
      })
      .delete('/auth/passkeys/:id', ({ request, params }) => {
        const user = s.guard.session(request)
        accounts.removePasskey(user.userId, params.id)
        return { deleted: true, id: params.id }
      })
  )
}
