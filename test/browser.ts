/**
 * Real headless Chromium for end-to-end tests (Debian's /usr/bin/chromium driven by
 * playwright-core; nothing is downloaded), plus the DevTools virtual authenticator so
 * passkey ceremonies run for real: the browser creates and signs with actual credentials,
 * and the server verifies them with @simplewebauthn/server.
 *
 *   const browser = await launchChromium()
 *   const context = await browser.newContext()
 *   const page = await context.newPage()
 *   const authenticator = await addAuthenticator(page)   // before the first ceremony
 *
 * Passkeys need a secure context, so the server must be reached as http://localhost:<port>
 * with auth.rp_origin set to exactly that: `reservePort()` finds a free port to configure
 * before `serve()` listens on it.
 */
import { type Browser, type CDPSession, chromium, type Page } from 'playwright-core'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
}

/** A port that was free a moment ago (for configs that must name the port before listening). */
export function reservePort(): number {
  const probe = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response(null) })
  const port = probe.port as number
  probe.stop(true)
  return port
}

export interface VirtualAuthenticator {
  id: string
  cdp: CDPSession
  /** Credentials stored on the authenticator (resident keys carry the user handle). */
  credentials(): Promise<
    { credentialId: string; isResidentCredential: boolean; userHandle?: string; signCount: number }[]
  >
  remove(): Promise<void>
}

/**
 * A platform authenticator (CTAP2, internal transport) with resident keys and user
 * verification that always succeeds and needs no touch: what a laptop's fingerprint
 * reader looks like to the page.
 */
export async function addAuthenticator(page: Page): Promise<VirtualAuthenticator> {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('WebAuthn.enable', { enableUI: false })
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  })
  return {
    id: authenticatorId,
    cdp,
    credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials,
    remove: async () => {
      await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId })
    },
  }
}
