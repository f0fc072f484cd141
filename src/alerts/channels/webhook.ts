/**
 * Generic webhook: POSTs the versioned alert payload (message.ts) as JSON. With a channel
 * secret, `X-Bloop-Signature` carries the lowercase hex HMAC-SHA256 of the exact body
 * bytes, keyed with the secret (README, "Alert webhook payload"). `X-Bloop-Event` and
 * `X-Bloop-Delivery` repeat the event name and alert id for routing and de-duplication.
 */
import { createHmac } from 'node:crypto'
import type { AlertPayload } from '../message'

export function signBody(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('hex')
}

export function webhookRequest(
  p: AlertPayload,
  secret: string | undefined,
  userAgent: string,
): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(p)
  const headers: Record<string, string> = {
    'user-agent': userAgent,
    'x-bloop-event': p.event,
    'x-bloop-delivery': p.alert_id,
  }
  if (secret) headers['x-bloop-signature'] = signBody(secret, body)
  return { body, headers }
}

/** Listings show where a webhook goes, without a query string that may hold a token. */
export function redactWebhookUrl(raw: string): string {
  try {
    const u = new URL(raw)
    return `${u.origin}${u.pathname}${u.search ? '?…' : ''}`
  } catch {
    return '(invalid URL)'
  }
}
