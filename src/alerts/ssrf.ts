/**
 * Outbound URL policy for Slack and webhook channels (server-side request forgery).
 *
 * A URL is refused unless it is http(s) and every address its host resolves to is public:
 * not loopback, private (RFC 1918), carrier-grade NAT, link-local, unique-local, multicast,
 * reserved or documentation space, nor an IPv6 form that can carry an IPv4 address
 * (compatible, translated, 6to4, NAT64, Teredo). An IPv4-mapped address (::ffff:a.b.c.d)
 * is judged as the IPv4 address it is. `alerting.allow_private_urls = true` lifts
 * the address check for intranets and tests; the scheme check always applies.
 *
 * The check runs when a channel is created and again before every delivery, since DNS can
 * change in between. Requests never follow redirects (a 3xx is a failed delivery), so a
 * public receiver cannot bounce a request inward. A residual window remains between this
 * lookup and the connection's own lookup (DNS rebinding with a zero TTL); closing it would
 * need pinning the connection to the checked address, which fetch does not offer for TLS.
 */
import { lookup as dnsLookup } from 'node:dns/promises'
import { BlockList, isIP } from 'node:net'

const BLOCKED = new BlockList()
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24], // 6to4 relay anycast: a relay would forward inward
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  BLOCKED.addSubnet(net, bits, 'ipv4')
}
// IPv4-mapped addresses (::ffff:a.b.c.d) need no rule: BlockList checks them against the
// IPv4 rules above (and would check every IPv4 address against a ::ffff:0:0/96 rule).
for (const [net, bits] of [
  ['::', 96], // unspecified, loopback and IPv4-compatible
  ['::ffff:0:0:0', 96], // IPv4-translated (SIIT): a translator would forward to the IPv4 address
  ['64:ff9b::', 96], // NAT64
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard
  ['2001::', 32], // Teredo
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4
  ['fc00::', 7], // unique-local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  BLOCKED.addSubnet(net, bits, 'ipv6')
}

/** True when `ip` (a literal address) may not be contacted without allow_private_urls. */
export function isPrivateAddress(ip: string): boolean {
  const family = isIP(ip)
  if (family === 0) throw new Error(`expected an IP address, got "${ip}"`)
  return BLOCKED.check(ip, family === 4 ? 'ipv4' : 'ipv6')
}

export type Resolver = (host: string) => Promise<string[]>

const defaultResolver: Resolver = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address)

export type UrlCheck = { ok: true; url: URL } | { ok: false; error: string }

export interface UrlPolicy {
  allowPrivate: boolean
  resolve?: Resolver
  /** Gives up on a slow DNS server after this long. */
  timeoutMs?: number
}

export async function checkUrl(raw: string, policy: UrlPolicy): Promise<UrlCheck> {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return { ok: false, error: 'is not a valid URL' }
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, error: `must use http or https, not ${url.protocol.replace(/:$/, '')}` }
  }
  if (policy.allowPrivate) return { ok: true, url }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  let addresses: string[]
  if (isIP(host) !== 0) addresses = [host]
  else {
    try {
      addresses = await withTimeout((policy.resolve ?? defaultResolver)(host), policy.timeoutMs ?? 5000)
    } catch (err) {
      return { ok: false, error: `host ${host} cannot be resolved (${(err as Error).message})` }
    }
    if (addresses.length === 0) return { ok: false, error: `host ${host} has no address` }
  }
  const inward = addresses.find(isPrivateAddress)
  if (inward !== undefined) {
    return {
      ok: false,
      error:
        `points to a private, loopback or reserved address (${host}${inward === host ? '' : ` -> ${inward}`}); ` +
        'set alerting.allow_private_urls = true to allow it',
    }
  }
  return { ok: true, url }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}
