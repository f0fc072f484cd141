/** Helpers for the LLM tests: signed trace requests against a real runtime. */
import { sign } from '../src/errors/ingest/hmac'
import { BASE, TEST_SECRET } from './helpers'

export function signedTrace(
  path: string,
  body: unknown,
  o: { method?: string; key?: string; raw?: string; headers?: Record<string, string> } = {},
): Request {
  const text = o.raw ?? JSON.stringify(body)
  const headers: Record<string, string> = { 'content-type': 'application/json', ...o.headers }
  if (o.key) headers['x-project-key'] = o.key
  headers['x-signature'] = sign(o.key ?? TEST_SECRET, text)
  return new Request(BASE + path, { method: o.method ?? 'POST', headers, body: text })
}

export function span(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'span-1',
    span_type: 'generation',
    name: 'gpt-4o call',
    model: 'gpt-4o',
    provider: 'openai',
    input_tokens: 100,
    output_tokens: 50,
    cost: 0.0025,
    latency_ms: 1200,
    time_to_first_token_ms: 300,
    status: 'ok',
    started_at: 1_700_000_000_000,
    ...over,
  }
}

export function trace(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'trace-001',
    session_id: 'session-abc',
    user_id: 'user-123',
    name: 'chat-completion',
    status: 'completed',
    input: 'User prompt text',
    output: 'AI response text',
    metadata: { key: 'value' },
    started_at: 1_700_000_000_000,
    ended_at: 1_700_000_001_200,
    spans: [span()],
    ...over,
  }
}
