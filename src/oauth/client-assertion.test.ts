import { generateKeyPairSync } from 'node:crypto'
import { createLocalJWKSet, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { applyClientAuth } from './client-auth.ts'
import { CLIENT_ASSERTION_TYPE, type ClientSigningKey, signClientAssertion } from './client-assertion.ts'

function keyPair(kind: 'ec' | 'rsa' | 'ed25519', alg: ClientSigningKey['alg']) {
  const { privateKey, publicKey } =
    kind === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : kind === 'rsa'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 })
        : generateKeyPairSync('ed25519')
  const key: ClientSigningKey = { jwk: privateKey.export({ format: 'jwk' }), alg, kid: 'k1' }
  const jwks = createLocalJWKSet({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg }] })
  return { key, jwks }
}

describe('signClientAssertion', () => {
  it.each([
    ['ec', 'ES256'],
    ['rsa', 'RS256'],
    ['rsa', 'PS256'],
    ['ed25519', 'EdDSA'],
  ] as const)(
    'signs a %s %s assertion jose verifies, with iss = sub = client_id, aud, jti and a short exp',
    async (kind, alg) => {
      const { key, jwks } = keyPair(kind, alg)
      const jwt = signClientAssertion(key, { clientId: 'pkj', audience: 'http://127.0.0.1:9000' })
      const { payload, protectedHeader } = await jwtVerify(jwt, jwks, {
        issuer: 'pkj',
        subject: 'pkj',
        audience: 'http://127.0.0.1:9000',
        algorithms: [alg],
      })
      expect(protectedHeader.kid).toBe('k1')
      expect(typeof payload.jti).toBe('string')
      expect(payload.exp! - payload.iat!).toBe(60)
    },
  )

  it('uses a fresh jti each time', () => {
    const { key } = keyPair('ec', 'ES256')
    const jti = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()).jti
    const a = signClientAssertion(key, { clientId: 'pkj', audience: 'x' })
    const b = signClientAssertion(key, { clientId: 'pkj', audience: 'x' })
    expect(jti(a)).not.toBe(jti(b))
  })
})

describe('applyClientAuth with private_key_jwt', () => {
  it('puts client_id, the assertion type and an assertion for assertionAudience in the form, no Authorization', () => {
    const { key } = keyPair('ec', 'ES256')
    const headers: Record<string, string> = {}
    const form = new URLSearchParams()
    applyClientAuth({ clientId: 'pkj', privateKey: key, assertionAudience: 'https://as.example' }, headers, form)
    expect(headers.authorization).toBeUndefined()
    expect(form.get('client_id')).toBe('pkj')
    expect(form.get('client_assertion_type')).toBe(CLIENT_ASSERTION_TYPE)
    const claims = JSON.parse(Buffer.from(form.get('client_assertion')!.split('.')[1]!, 'base64url').toString())
    expect(claims.aud).toBe('https://as.example')
  })

  it("defaults aud to the endpoint URL's origin", () => {
    const { key } = keyPair('ec', 'ES256')
    const form = new URLSearchParams()
    applyClientAuth({ clientId: 'pkj', privateKey: key }, {}, form, 'http://127.0.0.1:9000/token')
    const claims = JSON.parse(Buffer.from(form.get('client_assertion')!.split('.')[1]!, 'base64url').toString())
    expect(claims.aud).toBe('http://127.0.0.1:9000')
  })
})
