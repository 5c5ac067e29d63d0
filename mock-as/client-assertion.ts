/**
 * private_key_jwt client authentication (RFC 7523 §2.2, §3; OpenID Connect
 * Core §9): `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`
 * and a `client_assertion` JWT signed with the client's registered key.
 *
 * Checks, each failing as `invalid_client` (401) with a description quoting
 * the claim: the signature against the client's JWKS (`alg` from the
 * supported set, never `none`), `iss` = `sub` = client_id, `aud` the issuer
 * or the token endpoint URL (a string, or an array holding one of them; the
 * `assertion-aud-change` fault narrows it to the issuer alone, as FAPI 2.0
 * §5.3.2.1 does), `exp` present and at most `maxLifetime` ahead, `iat`/`nbf`
 * not in the future, and `jti` never seen before (a bounded replay cache that
 * keeps each jti until its assertion expires and fails closed when full).
 *
 * Verification is synchronous node:crypto, so the token fast path keeps it.
 */
import { constants, createPublicKey, type JsonWebKey, type KeyObject, verify } from 'node:crypto'
import type { ClientConfig } from './config.ts'
import { OAuthError } from './oauth-error.ts'

export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
export const ASSERTION_ALGS = ['ES256', 'RS256', 'PS256', 'EdDSA'] as const

/** Which `aud` values an assertion may carry: `issuer-or-token-endpoint` (default) or the issuer string alone. */
export type AssertionAudience = 'issuer-or-token-endpoint' | 'issuer'

/** What the checks need from the AS. */
export interface AssertionContext {
  issuer: string
  nowSeconds(): number
  audience: AssertionAudience
  /** Longest accepted `exp - now`, seconds. */
  maxLifetimeS: number
  /** Tolerated clock difference for `iat`, `nbf` and `exp`, seconds. */
  skewS: number
  replay: JtiCache
}

const bad = (description: string) => new OAuthError('invalid_client', description)

/**
 * Seen `jti`s per client until their assertion expires. Bounded: expired
 * entries are dropped as new ones arrive; when it is still full, new
 * assertions are refused (failing closed rather than forgetting a jti).
 */
export class JtiCache {
  readonly #seen = new Map<string, number>()
  constructor(readonly max: number) {}

  get size(): number {
    return this.#seen.size
  }

  /** Remember `jti` of `clientId` until `exp` (seconds); false when it was already seen. */
  remember(clientId: string, jti: string, exp: number, nowS: number): boolean {
    const key = `${clientId}\u0000${jti}`
    const prev = this.#seen.get(key)
    if (prev !== undefined && prev >= nowS) return false
    // insertion order is close to expiry order (lifetimes are bounded): drop from the front
    let n = 0
    for (const [k, e] of this.#seen) {
      if (e >= nowS || n++ > 8) break
      this.#seen.delete(k)
    }
    if (this.#seen.size >= this.max) {
      for (const [k, e] of this.#seen) if (e < nowS) this.#seen.delete(k)
      if (this.#seen.size >= this.max)
        throw new OAuthError('temporarily_unavailable', 'client assertion replay cache is full; retry later', {
          headers: { 'retry-after': '1' },
        })
    }
    this.#seen.set(key, exp)
    return true
  }

  clear(): void {
    this.#seen.clear()
  }
}

const keyCache = new WeakMap<ClientConfig, Array<{ kid?: string; alg?: string; key: KeyObject }>>()

function keysOf(client: ClientConfig): Array<{ kid?: string; alg?: string; key: KeyObject }> {
  let keys = keyCache.get(client)
  if (!keys) {
    keys = []
    for (const jwk of client.jwks?.keys ?? []) {
      try {
        const { d: _private, ...pub } = jwk as Record<string, unknown>
        const key = createPublicKey({ key: pub as JsonWebKey, format: 'jwk' })
        keys.push({
          ...(typeof jwk.kid === 'string' ? { kid: jwk.kid } : {}),
          ...(typeof jwk.alg === 'string' ? { alg: jwk.alg } : {}),
          key,
        })
      } catch {
        // a key node:crypto cannot read verifies nothing
      }
    }
    keyCache.set(client, keys)
  }
  return keys
}

function fitsAlg(key: KeyObject, alg: string): boolean {
  const t = key.asymmetricKeyType
  if (alg === 'ES256') return t === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1'
  if (alg === 'RS256' || alg === 'PS256') return t === 'rsa' || (alg === 'PS256' && t === 'rsa-pss')
  if (alg === 'EdDSA') return t === 'ed25519' || t === 'ed448'
  return false
}

function verifies(alg: string, key: KeyObject, data: Buffer, sig: Buffer): boolean {
  try {
    if (alg === 'ES256') return verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig)
    if (alg === 'RS256') return verify('sha256', data, key, sig)
    if (alg === 'PS256')
      return verify('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig)
    return verify(null, data, key, sig)
  } catch {
    return false
  }
}

function decodePart(part: string, what: string): Record<string, unknown> {
  let v: unknown
  try {
    v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
  } catch {
    throw bad(`client_assertion ${what} is not base64url JSON`)
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw bad(`client_assertion ${what} is not a JSON object`)
  return v as Record<string, unknown>
}

/** The `iss` of an assertion, unverified: which client it claims to be (undefined when unreadable). */
export function assertionIssuer(assertion: string): string | undefined {
  const parts = assertion.split('.')
  if (parts.length !== 3) return undefined
  try {
    const iss = (JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { iss?: unknown }).iss
    return typeof iss === 'string' ? iss : undefined
  } catch {
    return undefined
  }
}

/** The `aud` values an assertion may name under the current policy. */
export function acceptedAudiences(c: Pick<AssertionContext, 'issuer' | 'audience'>): string[] {
  return c.audience === 'issuer' ? [c.issuer] : [c.issuer, `${c.issuer}/token`]
}

/**
 * Verify a client assertion for `client` (already looked up by its `iss`);
 * returns nothing, throws `invalid_client` with the reason.
 *
 * @example
 * verifyClientAssertion(ctx, client, params.get('client_assertion')!)
 */
export function verifyClientAssertion(c: AssertionContext, client: ClientConfig, assertion: string): void {
  if (assertion.length > 8192) throw bad('client_assertion is too long')
  const parts = assertion.split('.')
  if (parts.length !== 3) throw bad('client_assertion is not a compact JWS')
  const header = decodePart(parts[0]!, 'header')
  const alg = header.alg
  if (typeof alg !== 'string' || !(ASSERTION_ALGS as readonly string[]).includes(alg))
    throw bad(`unsupported client_assertion "alg" header value (got ${JSON.stringify(alg)?.slice(0, 40)})`)
  const candidates = keysOf(client).filter(
    (k) => (header.kid === undefined || k.kid === header.kid) && (k.alg === undefined || k.alg === alg),
  )
  if (candidates.length === 0)
    throw bad(
      header.kid === undefined
        ? 'no registered key of the client fits the client_assertion'
        : `unknown client_assertion "kid" (got ${JSON.stringify(String(header.kid).slice(0, 64))})`,
    )
  const data = Buffer.from(`${parts[0]}.${parts[1]}`)
  const sig = Buffer.from(parts[2]!, 'base64url')
  if (!candidates.some((k) => fitsAlg(k.key, alg) && verifies(alg, k.key, data, sig)))
    throw bad('client_assertion signature verification failed')
  const claims = decodePart(parts[1]!, 'payload')
  if (claims.iss !== client.clientId) throw bad('unexpected client_assertion "iss" claim value')
  if (claims.sub !== client.clientId) throw bad('unexpected client_assertion "sub" claim value')
  const accepted = acceptedAudiences(c)
  const aud = claims.aud
  const auds = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : []
  if (!auds.some((a) => typeof a === 'string' && accepted.includes(a)))
    throw bad(
      `unexpected client_assertion "aud" claim value (expected ${accepted.length > 1 ? 'one of ' : ''}${accepted.map((a) => JSON.stringify(a)).join(', ')})`,
    )
  const now = c.nowSeconds()
  const { exp, iat, nbf, jti } = claims
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw bad('client_assertion "exp" claim is missing')
  if (exp <= now - c.skewS) throw bad('client_assertion "exp" claim timestamp check failed (expired)')
  if (exp - now > c.maxLifetimeS)
    throw bad(`client_assertion "exp" is too far ahead (at most ${c.maxLifetimeS}s, got ${Math.round(exp - now)}s)`)
  if (iat !== undefined && (typeof iat !== 'number' || iat > now + c.skewS))
    throw bad('client_assertion "iat" claim timestamp check failed (in the future)')
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now + c.skewS))
    throw bad('client_assertion "nbf" claim timestamp check failed (not yet valid)')
  if (typeof jti !== 'string' || jti === '' || jti.length > 256) throw bad('client_assertion "jti" claim is missing')
  if (!c.replay.remember(client.clientId, jti, exp + c.skewS, now))
    throw bad('client_assertion "jti" was already used (replay)')
}
