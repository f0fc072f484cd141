/**
 * The browser apps' one error of a failed API call, shared by the sign-in page and the
 * dashboard (each bundle gets its own copy). It carries what the server's error renderer
 * sends, `{"error", "code", "field"}`, so a page can show the message and mark the field.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field: string | null = null,
  ) {
    super(message)
  }

  /** The error of an answer that was not ok, from its parsed JSON body (null if it had none). */
  static of(status: number, body: unknown): ApiError {
    const e = (body ?? {}) as { error?: unknown; code?: unknown; field?: unknown }
    return new ApiError(
      status,
      typeof e.code === 'string' ? e.code : 'http_error',
      typeof e.error === 'string' ? e.error : `request failed with HTTP ${status}`,
      typeof e.field === 'string' ? e.field : null,
    )
  }
}
