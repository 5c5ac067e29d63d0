/**
 * Taking a compact JWS apart and putting it back together without
 * verifying anything: the raw material of the attacks that tamper with a
 * real token (swap the alg, drop the signature, change a claim).
 */

export interface JwtParts {
  header: Record<string, unknown>
  payload: Record<string, unknown>
  /** The signature, base64url as received. */
  signature: string
}

const json = (part: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>

/** The parts of a compact JWS; undefined when it is not one (an opaque token). */
export function splitJwt(token: string): JwtParts | undefined {
  const parts = token.split('.')
  if (parts.length !== 3) return undefined
  try {
    return { header: json(parts[0]!), payload: json(parts[1]!), signature: parts[2]! }
  } catch {
    return undefined
  }
}

/** base64url of a JSON value. */
export function b64json(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

/** A compact JWS from a header, a payload and any signature string. */
export function joinJwt(header: Record<string, unknown>, payload: Record<string, unknown>, signature: string): string {
  return `${b64json(header)}.${b64json(payload)}.${signature}`
}

/** Seconds since the epoch. */
export function epoch(): number {
  return Math.floor(Date.now() / 1000)
}

/** The honest token's claims, or plausible ones for this RS when the honest token is opaque. */
export function claimsFor(honest: string, issuer: string, audience: string, scope: string): Record<string, unknown> {
  const parts = splitJwt(honest)
  if (parts) return parts.payload
  const now = epoch()
  return {
    iss: issuer,
    aud: audience,
    scope,
    sub: 'gameday-probe',
    client_id: 'gameday-probe',
    iat: now,
    nbf: now,
    exp: now + 300,
  }
}
