/**
 * Passkeys are bound to one origin (`auth.rp_origin`) and RP id (`auth.rp_id`). When users
 * reach the server under another address, the browser refuses the ceremony before bloop
 * sees it, which looks like "passkeys are broken". So bloop says it plainly in the log:
 * - at startup, when the config contradicts itself or the local port it listens on;
 * - on the first request from each other origin (the browser's Origin header), naming
 *   both origins and the keys to change.
 */
import { ConfigError } from '../config/load'
import type { Config } from '../config/schema'
import type { Logger } from '../ops/log'
import type { RelyingParty } from './webauthn'

const HOW_TO_FIX =
  'Fix: set auth.rp_origin (BLOOP__AUTH__RP_ORIGIN) to the exact address users open in the browser, ' +
  'and auth.rp_id (BLOOP__AUTH__RP_ID) to its host name'

/** The relying party from config; an rp_origin that is not an http(s) origin stops startup. */
export function relyingParty(config: Pick<Config, 'auth'>): RelyingParty {
  let url: URL
  try {
    url = new URL(config.auth.rp_origin)
  } catch {
    throw new ConfigError(
      `auth.rp_origin must be an origin such as https://errors.example.com (got "${config.auth.rp_origin}")`,
    )
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(
      `auth.rp_origin must start with http:// or https:// (got "${config.auth.rp_origin}")`,
    )
  }
  return { id: config.auth.rp_id, origin: url.origin, name: 'bloop' }
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

/** Contradictions visible at startup, as log messages (empty when the config is consistent). */
export function relyingPartyProblems(rp: RelyingParty, listeningPort: number | null): string[] {
  const problems: string[] = []
  const url = new URL(rp.origin)
  const host = url.hostname
  if (host !== rp.id && !host.endsWith(`.${rp.id}`)) {
    problems.push(
      `auth.rp_id "${rp.id}" is not the host of auth.rp_origin ${rp.origin} (nor a parent domain of it); ` +
        `browsers will refuse every passkey. ${HOW_TO_FIX}`,
    )
  }
  if (url.protocol === 'http:' && !LOOPBACK.has(host)) {
    problems.push(
      `auth.rp_origin ${rp.origin} is plain http on a non-local host; browsers only allow passkeys on https ` +
        `(or http://localhost). Put bloop behind TLS. ${HOW_TO_FIX}`,
    )
  }
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port)
  if (listeningPort !== null && LOOPBACK.has(host) && port !== listeningPort) {
    problems.push(
      `auth.rp_origin is ${rp.origin} but the server listens on port ${listeningPort}; ` +
        `passkey sign-in at http://localhost:${listeningPort} will fail. ${HOW_TO_FIX}`,
    )
  }
  return problems
}

/** Warns once per foreign origin that talks to /auth (bounded, so a flood cannot grow it). */
export class OriginWatch {
  private warned = new Set<string>()

  constructor(
    private readonly rp: RelyingParty,
    private readonly log: Logger,
    private readonly limit = 20,
  ) {}

  observe(request: Request): void {
    const origin = request.headers.get('origin')
    if (origin === null || origin === 'null' || origin === this.rp.origin) return
    if (this.warned.has(origin) || this.warned.size >= this.limit) return
    this.warned.add(origin)
    this.log.warn(
      `a browser at ${origin} is using bloop, but passkeys are bound to auth.rp_origin ${this.rp.origin}; ` +
        `sign-in from ${origin} will fail. ${HOW_TO_FIX}`,
      { request_origin: origin, rp_origin: this.rp.origin, rp_id: this.rp.id },
    )
  }
}
