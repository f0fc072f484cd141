/**
 * One error vocabulary, one renderer. Every failure a client can cause is an AppError with
 * a code from the closed set below; the code decides the HTTP status. The body is always
 * `{"error": "<message for a human>", "code": "<machine_code>"}`, plus `field` when one
 * input field is at fault.
 */

const STATUS = {
  bad_request: 400,
  invalid_json: 400,
  invalid_field: 400,
  invalid_query: 400,
  batch_too_large: 400,
  unauthorized: 401,
  missing_signature: 401,
  invalid_signature: 401,
  invalid_project_key: 401,
  invalid_token: 401,
  forbidden: 403,
  insufficient_scope: 403,
  csrf_rejected: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  queue_full: 429,
  /** Nobody reads this answer; the status (nginx's) keeps the request out of the 5xx counts. */
  client_closed_request: 499,
  internal: 500,
  not_implemented: 501,
  /** A proxied upstream could not be reached, or did not begin answering in time. */
  bad_gateway: 502,
  storage_unavailable: 503,
  unavailable: 503,
  gateway_timeout: 504,
} as const

export type ErrorCode = keyof typeof STATUS
/** Every code, for the API contract's error schema. */
export const ERROR_CODES = Object.keys(STATUS) as ErrorCode[]

export interface ErrorExtra {
  field?: string
  retryAfterSecs?: number
  headers?: Record<string, string>
  /** The failure behind this answer (logged, never sent): kept as the Error's `cause`. */
  cause?: unknown
}

export class AppError extends Error {
  override name = 'AppError'
  readonly status: number
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: ErrorExtra = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause })
    this.status = STATUS[code]
  }
}

export const notFound = (message: string) => new AppError('not_found', message)
export const forbidden = (message: string) => new AppError('forbidden', message)

export function errorBody(err: AppError): Record<string, unknown> {
  const body: Record<string, unknown> = { error: err.message, code: err.code }
  if (err.extra.field) body.field = err.extra.field
  return body
}

export function errorResponse(err: AppError): Response {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...err.extra.headers }
  if (err.extra.retryAfterSecs !== undefined) headers['retry-after'] = String(err.extra.retryAfterSecs)
  return new Response(JSON.stringify(errorBody(err)), { status: err.status, headers })
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  })
}
