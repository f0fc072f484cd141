/**
 * /auth/*: the sign-in page, passkey ceremonies, sessions and the user's own passkeys.
 *
 *   GET    /auth/login                        the sign-in page (first user, invite, sign-in, account)
 *   GET    /auth/status                       {setup_complete, user|null, rp_origin, rp_id}
 *   POST   /auth/register/start|finish        first user only (becomes admin)
 *   POST   /auth/invite/register/start|finish with an invite token
 *   POST   /auth/login/start|finish           discoverable passkey, no username
 *   POST   /auth/logout                       ends the session, clears the cookie
 *   GET    /auth/passkeys                     own passkeys
 *   POST   /auth/passkeys/register/start|finish   add a passkey
 *   PATCH  /auth/passkeys/:id                 rename; DELETE removes (never the last)
 *
 * Every route is rate limited per client IP (`rate_limit.auth_per_second` with a burst of
 * `auth_burst_size`, 429 + Retry-After). The limit is a hook on these routes, not a test of
 * the request path: Elysia picks the route from the URL's eleventh character on (it assumes
 * a host name of four characters or more), so with `Host: x` the path /v1/auth/login/start
 * is served as /auth/login/start, and any check that parses the path itself can disagree
 * with the router. A hook attached to the routes runs exactly when one of them is served.
 * Bodies are read by the handlers after that hook (not by Elysia before it), so malformed
 * and oversized bodies count against the limit too. Expired sessions are deleted by an
 * hourly cron job (started in index.ts).
 */
import { Type as T } from '@sinclair/typebox'
import { Elysia } from 'elysia'
import type { Config } from '../config/schema'
import type { Core } from '../core/feature'
import { access } from '../http/access'
import { readCookie, SESSION_COOKIE } from '../http/auth'
import { json } from '../http/errors'
import type { RateLimiter } from '../http/ratelimit'
import { parseBody, readJson } from '../http/validate'
import { loadAssets } from '../web/assets'
import { LOGIN_BODY, LOGIN_TITLE } from '../web/login/markup'
import { pageResponse, renderPage } from '../web/page'
import type { Accounts, SignedIn } from './accounts'
import {
  AuthStatus,
  CeremonyOptions,
  FinishBody,
  InviteStartBody,
  Passkey,
  PasskeyRenameBody,
  PasskeyStartBody,
  passkeyView,
  RegisterStartBody,
  SignedInAnswer,
  userView,
} from './model'
import type { OriginWatch } from './origin'
import { deleteSession, sessionCookie } from './sessions'
import { getUser } from './users'
import type { AuthenticationResponseJSON, RegistrationResponseJSON, RelyingParty } from './webauthn'

/** The largest /auth body is a passkey registration with an attestation certificate: a few KB. */
const MAX_BODY_BYTES = 64 * 1024

const readBody = (request: Request) => readJson(request, MAX_BODY_BYTES)
/** A body that may be left out entirely (no Content-Length, or zero). */
const optionalBody = async (request: Request) =>
  request.headers.get('content-length') === '0' || request.body === null ? {} : readBody(request)

export interface AuthRoutesDeps extends Pick<Core, 'backend' | 'guard' | 'log' | 'clientIp'> {
  config: Pick<Config, 'auth'>
  rp: RelyingParty
  accounts: Accounts
  /** Per client IP, for every /auth route. */
  limiter: RateLimiter
  origins: OriginWatch
}

export function authRoutes(s: AuthRoutesDeps) {
  const { rp, accounts, limiter, origins } = s
  const ttl = s.config.auth.session_ttl_secs

  const signedIn = async (request: Request, r: SignedIn): Promise<Response> => {
    const previous = readCookie(request, SESSION_COOKIE)
    if (previous) await deleteSession(s.backend, previous)
    s.log.info('signed in', { user_id: r.user.id, username: r.user.username })
    return json({ user: userView(r.user) }, 200, { 'set-cookie': sessionCookie(r.session, rp.origin, ttl) })
  }

  const finishBody = async (request: Request) => {
    const b = parseBody(FinishBody, await readBody(request))
    return { challengeId: b.challenge_id, credential: b.credential as unknown }
  }
  const client = (request: Request) => s.clientIp(request)

  // Public routes say why they need no session; the rate limit above covers them all.
  const SIGN_IN = { public: 'signing in: the ceremony is the credential' } as const
  const FIRST_USER = { public: 'the first user registers before anyone can sign in' } as const
  const INVITE = { public: 'an invite token in the body is the credential' } as const

  return (
    new Elysia({ name: 'auth' })
      // Local to this plugin: runs for the routes below, whatever path the router matched.
      .onBeforeHandle(({ request }) => {
        limiter.check(client(request), 'sign-in')
        origins.observe(request)
      })
      .use(access(s.guard))
      .get(
        '/auth/login',
        async () =>
          pageResponse(renderPage(await loadAssets(), 'login', { title: LOGIN_TITLE, body: LOGIN_BODY })),
        { public: 'the sign-in page', schema: { response: { 200: 'the sign-in page (HTML)' } } },
      )
      .get(
        '/auth/status',
        async ({ request }) => {
          const p = await s.guard.optionalSession(request)
          const user = p ? await getUser(s.backend, p.userId) : null
          return {
            setup_complete: await accounts.setupComplete(),
            user: user ? userView(user) : null,
            // The sign-in page compares these with its own address before a ceremony.
            rp_origin: rp.origin,
            rp_id: rp.id,
          }
        },
        {
          public: 'the sign-in page asks whether someone is signed in',
          schema: { response: { 200: AuthStatus } },
        },
      )
      .post(
        '/auth/register/start',
        async ({ request }) =>
          accounts.startFirstUser(
            parseBody(RegisterStartBody, await readBody(request)).username,
            client(request),
          ),
        { ...FIRST_USER, schema: { body: RegisterStartBody, response: { 200: CeremonyOptions } } },
      )
      .post(
        '/auth/register/finish',
        async ({ request }) => {
          const b = await finishBody(request)
          return signedIn(
            request,
            await accounts.finishFirstUser(b.challengeId, b.credential as RegistrationResponseJSON),
          )
        },
        { ...FIRST_USER, schema: { body: FinishBody, response: { 200: SignedInAnswer } } },
      )
      .post(
        '/auth/invite/register/start',
        async ({ request }) => {
          const b = parseBody(InviteStartBody, await readBody(request))
          return accounts.startInvite(b.username, b.invite_token, client(request))
        },
        { ...INVITE, schema: { body: InviteStartBody, response: { 200: CeremonyOptions } } },
      )
      .post(
        '/auth/invite/register/finish',
        async ({ request }) => {
          const b = await finishBody(request)
          return signedIn(
            request,
            await accounts.finishInvite(b.challengeId, b.credential as RegistrationResponseJSON),
          )
        },
        { ...INVITE, schema: { body: FinishBody, response: { 200: SignedInAnswer } } },
      )
      .post('/auth/login/start', ({ request }) => accounts.startLogin(client(request)), {
        ...SIGN_IN,
        schema: { response: { 200: CeremonyOptions } },
      })
      .post(
        '/auth/login/finish',
        async ({ request }) => {
          const b = await finishBody(request)
          return signedIn(
            request,
            await accounts.finishLogin(b.challengeId, b.credential as AuthenticationResponseJSON),
          )
        },
        { ...SIGN_IN, schema: { body: FinishBody, response: { 200: SignedInAnswer } } },
      )
      .post(
        '/auth/logout',
        async ({ request }) => {
          const token = readCookie(request, SESSION_COOKIE)
          if (token !== null) {
            s.guard.checkCsrf(request)
            await deleteSession(s.backend, token)
          }
          return json({ status: 'ok' }, 200, { 'set-cookie': sessionCookie(null, rp.origin, ttl) })
        },
        {
          public: 'signing out works with an expired session too (the cookie is cleared)',
          schema: { response: { 200: T.Object({ status: T.Literal('ok') }) } },
        },
      )
      .get('/auth/passkeys', async ({ user }) => (await accounts.passkeys(user.userId)).map(passkeyView), {
        session: true,
        schema: { response: { 200: T.Array(Passkey) } },
      })
      .post(
        '/auth/passkeys/register/start',
        async ({ request, user }) => {
          const b = parseBody(PasskeyStartBody, await optionalBody(request))
          return accounts.startAddPasskey(user, client(request), b.name)
        },
        {
          session: true,
          schema: { body: PasskeyStartBody, bodyOptional: true, response: { 200: CeremonyOptions } },
        },
      )
      .post(
        '/auth/passkeys/register/finish',
        async ({ request, user }) => {
          const b = await finishBody(request)
          const created = await accounts.finishAddPasskey(
            user,
            b.challengeId,
            b.credential as RegistrationResponseJSON,
          )
          s.log.info('passkey added', { user_id: user.userId, passkey: created.name })
          return json(passkeyView(created), 201)
        },
        { session: true, schema: { body: FinishBody, response: { 201: Passkey } } },
      )
      .patch(
        '/auth/passkeys/:id',
        async ({ request, user, params }) => {
          const name = parseBody(PasskeyRenameBody, await readBody(request)).name
          return passkeyView(await accounts.renamePasskey(user.userId, params.id, name))
        },
        {
          session: true,
          schema: {
            params: T.Object({ id: T.String() }),
            body: PasskeyRenameBody,
            response: { 200: Passkey },
          },
        },
      )
      .delete(
        '/auth/passkeys/:id',
        async ({ user, params }) => {
          await accounts.removePasskey(user.userId, params.id)
          return { deleted: true, id: params.id }
        },
        {
          session: true,
          schema: {
            params: T.Object({ id: T.String() }),
            response: { 200: T.Object({ deleted: T.Literal(true), id: T.String() }) },
          },
        },
      )
  )
}
