/**
 * error — answers affected requests with an HTTP error instead of forwarding
 * them: a token endpoint returning 503 under overload, an introspection
 * endpoint failing with 500, a JWKS host answering 502 behind a broken load
 * balancer. The share of requests is the toxic's `toxicity`; `ratio` is
 * accepted as its alias.
 */
import { Type } from '@sinclair/typebox'
import { answer, defineToxic } from './types.ts'

// RFC 6749 §4.1.2.1 names the errors an OAuth client knows how to read
const OAUTH_ERROR: Record<number, string> = { 500: 'server_error', 503: 'temporarily_unavailable' }

export const error = defineToxic({
  type: 'error',
  summary: 'answers affected requests with the given status (and body) instead of forwarding them',
  params: Type.Object(
    {
      status: Type.Integer({ minimum: 400, maximum: 599, default: 503, description: 'HTTP status code answered' }),
      ratio: Type.Optional(
        Type.Number({
          minimum: 0,
          maximum: 1,
          description: 'share of matching requests (0–1); an alias of toxicity, used when toxicity is absent',
        }),
      ),
      body: Type.Optional(
        Type.String({ maxLength: 65_536, description: 'response body; default: a JSON OAuth-style error' }),
      ),
      retryAfterSeconds: Type.Optional(
        Type.Integer({ minimum: 0, maximum: 86_400, description: 'Retry-After header value, in seconds' }),
      ),
    },
    { additionalProperties: false },
  ),
  onRequest(ctx, p) {
    const body =
      p.body ??
      JSON.stringify({
        error: OAUTH_ERROR[p.status] ?? 'injected_error',
        error_description: `injected by the fault proxy (${p.status})`,
      })
    return answer(
      ctx,
      p.status,
      body,
      p.retryAfterSeconds === undefined ? {} : { 'retry-after': String(p.retryAfterSeconds) },
    )
  },
})
