/**
 * Signing keys of private_key_jwt clients (RFC 7523): generated per run for
 * the mock-as clients the harness registers (the public half goes into the
 * AS's config, the private half stays in the harness), or read from a
 * secret reference (a PEM or a JWK) for a client of your own AS.
 */
import { createPrivateKey, generateKeyPairSync, type JsonWebKey, randomBytes } from 'node:crypto'
import type { ClientConfig } from '../../mock-as/config.ts'
import { GamedayError } from '../errors.ts'
import { algOf, type ClientSigningKey } from '../oauth/client-assertion.ts'
import { registerSecret } from '../util/secrets.ts'

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const

function registerPrivate(jwk: JsonWebKey): void {
  for (const m of PRIVATE_MEMBERS) registerSecret(jwk[m] as string | undefined)
}

/** A fresh ES256 key for a client; the private members are registered with the masker. */
export function generateClientKey(): ClientSigningKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = privateKey.export({ format: 'jwk' })
  registerPrivate(jwk)
  return { jwk, alg: 'ES256', kid: randomBytes(6).toString('base64url') }
}

/** The public JWK of a signing key (its private members dropped). */
export function publicJwk(key: ClientSigningKey): Record<string, unknown> {
  const out: Record<string, unknown> = { ...key.jwk, alg: key.alg, use: 'sig' }
  for (const m of PRIVATE_MEMBERS) delete out[m]
  if (key.kid) out.kid = key.kid
  return out
}

/**
 * For each mock-as client registered for private_key_jwt without a `jwks`,
 * a generated key; returns the clients with their public keys filled in.
 */
export function withGeneratedKeys(clients: readonly ClientConfig[]): {
  clients: ClientConfig[]
  keys: Record<string, ClientSigningKey>
} {
  const keys: Record<string, ClientSigningKey> = {}
  const out = clients.map((c) => {
    if (c.tokenEndpointAuthMethod !== 'private_key_jwt' || c.jwks) return c
    const key = generateClientKey()
    keys[c.clientId] = key
    return { ...c, jwks: { keys: [publicJwk(key)] } }
  })
  return { clients: out, keys }
}

/** Read a private key given as a PEM (PKCS#8, SEC1, PKCS#1) or a JWK in JSON. */
export function parsePrivateKey(text: string, where: string, kid?: string): ClientSigningKey {
  let jwk: JsonWebKey
  try {
    const t = text.trim()
    jwk = t.startsWith('{')
      ? createPrivateKey({ key: JSON.parse(t) as JsonWebKey, format: 'jwk' }).export({ format: 'jwk' })
      : createPrivateKey(t).export({ format: 'jwk' })
  } catch (cause) {
    throw new GamedayError('ERR_SCENARIO_INVALID', `${where}: not a private key (a PEM or a private JWK)`, { cause })
  }
  registerPrivate(jwk)
  const given = text.trim().startsWith('{') ? (JSON.parse(text) as { kid?: unknown; alg?: unknown }) : {}
  const keyId = kid ?? (typeof given.kid === 'string' ? given.kid : undefined)
  const alg = algOf({ ...jwk, ...(typeof given.alg === 'string' ? { alg: given.alg } : {}) })
  return { jwk, alg, ...(keyId ? { kid: keyId } : {}) }
}
