/**
 * The slice of RFC 9111 (HTTP caching) and RFC 5861 (stale-while-revalidate,
 * stale-if-error) a shared cache in front of a JWKS endpoint needs: how long
 * a response stays fresh, whether it may be stored at all, and the stale
 * windows the origin allows.
 */

/** What the origin's `Cache-Control` says to a shared cache. */
export interface CacheDirectives {
  /** `no-store` or `private`: a shared cache must not keep it (RFC 9111 §5.2.2.5, §5.2.2.7). */
  noStore: boolean
  /** `no-cache`: may be stored but must be revalidated before each use (§5.2.2.4). */
  noCache: boolean
  /** Freshness lifetime in seconds: `s-maxage` wins over `max-age` in a shared cache (§5.2.2.10). */
  maxAgeSeconds?: number
  /** RFC 5861 §3. */
  staleWhileRevalidateSeconds?: number
  /** RFC 5861 §4. */
  staleIfErrorSeconds?: number
}

function seconds(v: string | undefined): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v.replace(/^"|"$/g, ''))
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : undefined
}

/**
 * Parse a `Cache-Control` header value (case-insensitive directive names).
 *
 * @example parseCacheControl('public, max-age=300, stale-if-error=60') // { maxAgeSeconds: 300, staleIfErrorSeconds: 60, ... }
 */
export function parseCacheControl(header: string | string[] | undefined): CacheDirectives {
  const out: CacheDirectives = { noStore: false, noCache: false }
  const text = Array.isArray(header) ? header.join(',') : (header ?? '')
  let maxAge: number | undefined
  let sMaxAge: number | undefined
  for (const part of text.split(',')) {
    const [rawName, rawValue] = part.split('=', 2) as [string, string | undefined]
    const name = rawName.trim().toLowerCase()
    const value = rawValue?.trim()
    if (name === 'no-store' || name === 'private') out.noStore = true
    else if (name === 'no-cache') out.noCache = true
    else if (name === 'max-age') maxAge = seconds(value)
    else if (name === 's-maxage') sMaxAge = seconds(value)
    else if (name === 'stale-while-revalidate') out.staleWhileRevalidateSeconds = seconds(value)
    else if (name === 'stale-if-error') out.staleIfErrorSeconds = seconds(value)
  }
  const lifetime = sMaxAge ?? maxAge
  if (lifetime !== undefined) out.maxAgeSeconds = lifetime
  return out
}
