/**
 * private_key_jwt, the client side (RFC 7523 §2.2, §3; OpenID Connect Core
 * §9): a fresh assertion per request, signed with node:crypto (synchronous;
 * the key is imported once): `iss` = `sub` = client_id, `aud` the issuer by
 * default (FAPI 2.0 §5.3.2.1; some servers want the token endpoint URL),
 * a random `jti`, `iat` now and `exp` a short lifetime ahead.
 */
import { constants, createPrivateKey, type JsonWebKey, type KeyObject, randomUUID, sign } from 'node:crypto'

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

export type AssertionAlg = 'ES256' | 'RS256' | 'PS256' | 'EdDSA'

/** A client's signing key: a private JWK (plain data, so it crosses worker threads), its alg and kid. */
export interface ClientSigningKey {
  /** The private JWK (`d` present). */
  jwk: JsonWebKey
  alg: AssertionAlg
  kid?: string
}

/** The options of one assertion. */
export interface AssertionOptions {
  clientId: string
  /** `aud`: the issuer (the FAPI 2.0 default) or the token endpoint URL. */
  audience: string
  /** Lifetime, seconds (default 60). */
  lifetimeS?: number
  /** Epoch seconds (default: now). */
  now?: number
}

const imported = new WeakMap<JsonWebKey, KeyObject>()

function keyObject(jwk: JsonWebKey): KeyObject {
  let k = imported.get(jwk)
  if (!k) {
    k = createPrivateKey({ key: jwk, format: 'jwk' })
    imported.set(jwk, k)
  }
  return k
}

/** The alg a private JWK signs with when none is given: its `alg`, else ES256 / RS256 / EdDSA by key type. */
export function algOf(jwk: JsonWebKey): AssertionAlg {
  if (typeof jwk.alg === 'string' && ['ES256', 'RS256', 'PS256', 'EdDSA'].includes(jwk.alg))
    return jwk.alg as AssertionAlg
  return jwk.kty === 'RSA' ? 'RS256' : jwk.kty === 'OKP' ? 'EdDSA' : 'ES256'
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')

/**
 * Sign a client assertion.
 *
 * @example
 * const jwt = signClientAssertion(key, { clientId: 'pkj', audience: 'http://127.0.0.1:9000' })
 * form.set('client_assertion_type', CLIENT_ASSERTION_TYPE)
 * form.set('client_assertion', jwt)
 */
export function signClientAssertion(key: ClientSigningKey, o: AssertionOptions): string {
  const now = o.now ?? Math.floor(Date.now() / 1000)
  const header: Record<string, string> = { alg: key.alg, typ: 'JWT' }
  if (key.kid) header.kid = key.kid
  const payload = {
    iss: o.clientId,
    sub: o.clientId,
    aud: o.audience,
    jti: randomUUID(),
    iat: now,
    exp: now + (o.lifetimeS ?? 60),
  }
  const input = `${b64(header)}.${b64(payload)}`
  const k = keyObject(key.jwk)
  const data = Buffer.from(input)
  const sig =
    key.alg === 'ES256'
      ? sign('sha256', data, { key: k, dsaEncoding: 'ieee-p1363' })
      : key.alg === 'RS256'
        ? sign('sha256', data, k)
        : key.alg === 'PS256'
          ? sign('sha256', data, { key: k, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
          : sign(null, data, k)
  return `${input}.${sig.toString('base64url')}`
}
