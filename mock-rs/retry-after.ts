/**
 * Retry-After (RFC 9110 §10.2.3): delta-seconds or an HTTP-date. A resilient
 * RS honours it after a 429 or 503 from its validator (JWKS or introspection)
 * instead of hammering an endpoint that asked for room.
 */

/** Parse Retry-After to milliseconds from `now`; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (!value) return undefined
  const v = value.trim()
  if (/^\d+$/.test(v)) return Number(v) * 1000
  const at = Date.parse(v)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}
