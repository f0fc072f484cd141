/**
 * The first-run hint: the default project's key and a signed curl command that sends a
 * test event. Shown in full only on the run that created the key (the log of every later
 * start would otherwise carry the secret); after that, a masked key and where to find it.
 */
import type { Config } from '../../config/schema'
import { sign } from './hmac'

export interface Banner {
  default_project_key: string
  curl: string
}

export function ingestBanner(config: Config, port: number, apiKey: string): Banner {
  const body = JSON.stringify({
    source: 'api',
    environment: 'production',
    release: '1.0.0',
    error_type: 'TypeError',
    message: 'Hello from bloop: this is a test error',
    route_or_procedure: '/hello',
  })
  const host =
    config.server.host === '0.0.0.0' || config.server.host === '::' ? 'localhost' : config.server.host
  const url = `http://${host}:${port}/v1/ingest`
  // Single quotes: the key and signature are hex and the body holds no single quote, so the
  // shell passes every byte through unchanged and the signature still matches.
  const curl = [
    `curl -X POST ${url}`,
    `-H 'Content-Type: application/json'`,
    `-H 'X-Project-Key: ${apiKey}'`,
    `-H 'X-Signature: ${sign(apiKey, body)}'`,
    `-d '${body}'`,
  ].join(' ')
  return { default_project_key: apiKey, curl }
}

/** The banner for a person at a terminal: plain lines, the command exactly as it runs. */
export function bannerText(b: Banner, info: { secretFile?: string; dataDir: string }): string {
  return [
    '',
    'bloop first run: generated an HMAC secret and the default project.',
    `  data directory:      ${info.dataDir}`,
    ...(info.secretFile ? [`  secret file:         ${info.secretFile}`] : []),
    `  default project key: ${b.default_project_key}`,
    '',
    'Send a test event (copy the whole line):',
    '',
    b.curl,
    '',
    'This key is shown once; later starts show it masked. `bloop project list --keys` prints it.',
    '',
  ].join('\n')
}

/** `bloop_ab12…ef`: enough to tell keys apart, not enough to sign with. */
export function maskKey(key: string): string {
  const prefix = key.startsWith('bloop_') ? 'bloop_' : ''
  const rest = key.slice(prefix.length)
  if (rest.length < 12) return `${prefix}…`
  return `${prefix}${rest.slice(0, 4)}…${rest.slice(-2)}`
}
