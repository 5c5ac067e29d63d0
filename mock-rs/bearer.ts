/**
 * RFC 6750 on the wire: where a bearer token may come from (§2.1 header,
 * §2.2 form body, §2.3 query), the rule that a request uses exactly one
 * method (§2: more than one → `invalid_request`), and the
 * `WWW-Authenticate` challenges of §3 (no error code when the request had no
 * credentials at all, §3.1).
 */

export type Extracted =
  | { kind: 'none' }
  | { kind: 'token'; token: string }
  | { kind: 'invalid_request'; description: string }

const BEARER = /^bearer(?:\s+(.*))?$/is

/** Find the one bearer token of a request. */
export function extractToken(authorization: unknown, query: unknown, body: unknown): Extracted {
  const found: string[] = []
  if (typeof authorization === 'string' && authorization.length > 0) {
    const m = BEARER.exec(authorization.trim())
    if (m) {
      const token = (m[1] ?? '').trim()
      if (token.length === 0) return { kind: 'invalid_request', description: 'empty bearer token' }
      if (/\s/.test(token)) return { kind: 'invalid_request', description: 'malformed authorization header' }
      found.push(token)
    }
    // another scheme (Basic, DPoP, ...) carries no bearer credentials: §3.1, no error code
  }
  for (const source of [query, body]) {
    if (source && typeof source === 'object' && 'access_token' in source) {
      const v = (source as Record<string, unknown>).access_token
      if (typeof v !== 'string' || v.length === 0)
        return { kind: 'invalid_request', description: 'access_token parameter must appear once and not be empty' }
      found.push(v)
    }
  }
  if (found.length > 1)
    return { kind: 'invalid_request', description: 'more than one method used to send the access token' }
  return found.length === 1 ? { kind: 'token', token: found[0]! } : { kind: 'none' }
}

function quote(v: string): string {
  return `"${v.replace(/[\\"]/g, '\\$&').replace(/[^\x20-\x7e]/g, '')}"`
}

/** A `WWW-Authenticate: Bearer ...` challenge. */
export function challenge(
  realm: string,
  params: { error?: string; error_description?: string; scope?: string } = {},
): string {
  let out = `Bearer realm=${quote(realm)}`
  if (params.error) out += `, error=${quote(params.error)}`
  if (params.error_description) out += `, error_description=${quote(params.error_description)}`
  if (params.scope) out += `, scope=${quote(params.scope)}`
  return out
}
