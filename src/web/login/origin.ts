/**
 * Why passkeys cannot work at the address the visitor opened, and what to do instead.
 * Browsers bind a passkey to one origin and refuse it elsewhere before bloop sees anything;
 * all they say is "127.0.0.1 is an invalid domain". The two rules they apply:
 * - the page must be a secure context: https://, or http:// on localhost (or a loopback IP);
 * - the relying party (bloop's `auth.rp_origin`, `auth.rp_id`) must be the page's own
 *   origin and host name.
 * The sign-in page checks both before a ceremony and explains with the exact fixes: open
 * the configured address, forward it over SSH (a tunnel makes a remote server
 * http://localhost on the visitor's computer), or serve bloop over HTTPS. Pure: the facts
 * are passed in, so every case is tested without a browser.
 */

export interface OriginFacts {
  /** The page's full address (location.href). */
  page: string
  rpOrigin: string
  rpId: string
  /** window.isSecureContext */
  secureContext: boolean
}

export interface OriginAdvice {
  why: string
  /** The configured keys, as they would be written in config.toml. */
  config: string
  /** The same page at the configured origin, when that is where passkeys work. */
  open: string | null
  tunnel: { command: string; open: string; note: string | null } | null
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])
const portOf = (u: URL) => u.port || (u.protocol === 'https:' ? '443' : '80')

/**
 * What stands in the way of a passkey at `f.page`, or null when nothing visible does.
 * `refused`: the browser already refused a ceremony with a SecurityError, so something
 * is wrong even when every visible rule holds.
 */
export function originAdvice(f: OriginFacts, refused = false): OriginAdvice | null {
  const page = new URL(f.page)
  const rp = new URL(f.rpOrigin)
  const config = `auth.rp_origin = "${f.rpOrigin}", auth.rp_id = "${f.rpId}"`
  const here = page.origin
  const local = `http://localhost:${portOf(rp)}`
  // The tunnel's far end is the port bloop answered on, when the visitor reached it directly.
  const remotePort = page.protocol === 'http:' ? portOf(page) : portOf(rp)
  const server = LOOPBACK.has(page.hostname) ? '<server>' : page.hostname
  const tunnel = (note: string | null) => ({
    command: `ssh -L ${portOf(rp)}:localhost:${remotePort} user@${server}`,
    open: local,
    note,
  })

  if (here !== rp.origin) {
    return {
      why:
        `You opened ${here}, but passkeys on this server work only at ${rp.origin} ` +
        `(auth.rp_origin), so the browser refuses them here.`,
      config,
      open: rp.origin + page.pathname + page.search,
      tunnel: rp.protocol === 'http:' && LOOPBACK.has(rp.hostname) ? tunnel(null) : null,
    }
  }
  if (!f.secureContext) {
    return {
      why:
        `You opened ${here}: plain http on an address other than localhost. Browsers allow ` +
        'passkeys only on https:// or on http://localhost.',
      config,
      open: null,
      tunnel: tunnel(
        `first set auth.rp_origin = "http://localhost:${portOf(rp)}" and auth.rp_id = "localhost" ` +
          'on the server and restart it',
      ),
    }
  }
  const host = page.hostname
  if (host !== f.rpId && !host.endsWith(`.${f.rpId}`)) {
    return {
      why:
        `Passkeys for ${here} need auth.rp_id to be its host name "${host}" (or a parent domain ` +
        `of it), but it is "${f.rpId}", so the browser refuses them.`,
      config,
      open: null,
      tunnel: null,
    }
  }
  if (!refused) return null
  return {
    why:
      `The browser refused the passkey at ${here} (SecurityError), although the address ` +
      'matches auth.rp_origin and auth.rp_id.',
    config,
    open: null,
    tunnel: null,
  }
}
