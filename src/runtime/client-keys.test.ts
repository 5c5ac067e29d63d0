import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { signClientAssertion } from '../oauth/client-assertion.ts'
import { maskSecrets } from '../util/secrets.ts'
import { parsePrivateKey, withGeneratedKeys } from './client-keys.ts'

const pkjClient = {
  clientId: 'pkj',
  tokenEndpointAuthMethod: 'private_key_jwt' as const,
  public: false,
  redirectUris: [],
  grantTypes: ['client_credentials' as const],
  scopes: [],
  tokenFormat: 'jwt' as const,
}

describe('withGeneratedKeys', () => {
  it('registers a public key for a private_key_jwt client without jwks and keeps the private one, masked', () => {
    const other = { ...pkjClient, clientId: 'svc', tokenEndpointAuthMethod: undefined, clientSecret: 'svc-secret' }
    const { clients, keys } = withGeneratedKeys([pkjClient, other])
    const jwk = clients[0]!.jwks!.keys[0]!
    expect(jwk.d).toBeUndefined()
    expect(jwk.kid).toBe(keys.pkj!.kid)
    expect(clients[1]).toBe(other)
    expect(Object.keys(keys)).toEqual(['pkj'])
    const jwt = signClientAssertion(keys.pkj!, { clientId: 'pkj', audience: 'x' })
    const [h, p, s] = jwt.split('.')
    const pub = createPublicKey({ key: jwk as never, format: 'jwk' })
    expect(
      verify('sha256', Buffer.from(`${h}.${p}`), { key: pub, dsaEncoding: 'ieee-p1363' }, Buffer.from(s!, 'base64url')),
    ).toBe(true)
    expect(maskSecrets(`d=${keys.pkj!.jwk.d}`)).not.toContain(String(keys.pkj!.jwk.d))
  })

  it('leaves a client that brings its own jwks alone', () => {
    const own = { ...pkjClient, jwks: { keys: [{ kty: 'EC' }] } }
    expect(withGeneratedKeys([own]).clients[0]).toBe(own)
  })
})

describe('parsePrivateKey', () => {
  it('reads a PKCS#8 PEM and a private JWK, with kid and alg from the JWK or the argument', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
    expect(parsePrivateKey(pem, 'k', 'kid-1')).toMatchObject({ alg: 'RS256', kid: 'kid-1' })
    const jwk = JSON.stringify({ ...privateKey.export({ format: 'jwk' }), kid: 'j', alg: 'PS256' })
    expect(parsePrivateKey(jwk, 'k')).toMatchObject({ alg: 'PS256', kid: 'j' })
  })

  it('refuses what is not a private key, naming where it came from', () => {
    let err: unknown
    try {
      parsePrivateKey('not a key', 'stack.authorizationServer.external.clients[0].privateKey')
    } catch (e) {
      err = e
    }
    expect((err as { code?: string }).code).toBe('ERR_SCENARIO_INVALID')
    expect((err as Error).message).toMatch(/clients\[0\]\.privateKey: not a private key/)
  })
})
