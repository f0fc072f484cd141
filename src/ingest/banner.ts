/** The first-run hint: the default project's key and a ready-to-paste signed curl command. */
import type { Config } from '../config/schema'
import { sign } from './hmac'

export function ingestBanner(
  config: Config,
  port: number,
  apiKey: string,
): { default_project_key: string; curl: string } {
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
  const curl = [
    `curl -X POST ${url}`,
    `-H 'Content-Type: application/json'`,
    `-H 'X-Project-Key: ${apiKey}'`,
    `-H 'X-Signature: ${sign(apiKey, body)}'`,
    `-d '${body}'`,
  ].join(' ')
  return { default_project_key: apiKey, curl }
}
