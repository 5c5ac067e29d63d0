/**
 * OAuth error responses built from the RFC error string (RFC 6749 §5.2,
 * RFC 8628 §3.5, RFC 7009 §2.2.1, RFC 8707 §2, RFC 9449 §5 and §8). Handlers throw an
 * {@link OAuthError}; the app's error handler writes `{ error, error_description }`.
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'authorization_pending'
  | 'slow_down'
  | 'expired_token'
  | 'unsupported_token_type'
  | 'rate_limited'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'

const STATUS: Partial<Record<OAuthErrorCode, number>> = {
  invalid_client: 401,
  server_error: 500,
  temporarily_unavailable: 503,
  rate_limited: 429,
}

export class OAuthError extends Error {
  readonly status: number
  readonly headers: Record<string, string>
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    opts: { status?: number; headers?: Record<string, string> } = {},
  ) {
    super(`${error}: ${description}`)
    this.status = opts.status ?? STATUS[error] ?? 400
    this.headers = opts.headers ?? {}
    if (this.status === 401 && !this.headers['www-authenticate'])
      this.headers['www-authenticate'] = 'Basic realm="mock-as", charset="UTF-8"'
  }

  body(): { error: string; error_description: string } {
    return { error: this.error, error_description: this.description }
  }
}

/** Shorthand for `new OAuthError('invalid_request', description)`. */
export const invalidRequest = (description: string) => new OAuthError('invalid_request', description)

/** The body of a 500: nothing about the failure leaves the server. */
export const INTERNAL_ERROR_BODY = { error: 'server_error', error_description: 'internal error' } as const

/** Log an unexpected failure (type, message, stack; never the request's parameters). */
export function logInternalError(
  log: { error(obj: object, msg: string): void },
  err: Error,
  url: string | undefined,
): void {
  log.error({ err: { type: err.name, message: err.message, stack: err.stack }, url }, 'request.failed')
}
