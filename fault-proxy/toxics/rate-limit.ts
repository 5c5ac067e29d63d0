/**
 * rate-limit — a token bucket in front of the upstream: beyond `burst`
 * requests, at most `rate` per second pass; the rest get 429 with
 * Retry-After (RFC 6585 §4). Models a rate-limited introspection endpoint or
 * a WAF throttling the token endpoint.
 */
import { Type } from '@sinclair/typebox'
import { answer, defineToxic } from './types.ts'

export const rateLimit = defineToxic({
  type: 'rate-limit',
  summary: 'lets through at most rate requests per second after a burst; the rest get 429 with Retry-After',
  params: Type.Object(
    {
      rate: Type.Number({
        exclusiveMinimum: 0,
        maximum: 1_000_000,
        default: 10,
        description: 'sustained rate, in requests per second (bucket refill)',
      }),
      burst: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10, description: 'bucket size, in requests' }),
    },
    { additionalProperties: false },
  ),
  init(p) {
    return { tokens: p.burst, last: Number.NaN }
  },
  onRequest(ctx, p) {
    const t = ctx.now()
    const bucket = ctx.state
    if (!Number.isNaN(bucket.last))
      bucket.tokens = Math.min(p.burst, bucket.tokens + ((t - bucket.last) / 1000) * p.rate)
    bucket.last = t
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      return 'continue'
    }
    const retryAfter = Math.max(1, Math.ceil((1 - bucket.tokens) / p.rate))
    const body = JSON.stringify({ error: 'rate_limited', error_description: `rate limit ${p.rate}/s exceeded` })
    return answer(ctx, 429, body, { 'retry-after': String(retryAfter) })
  },
})
