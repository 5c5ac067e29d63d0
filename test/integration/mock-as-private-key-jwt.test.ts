import type { FastifyInstance } from 'fastify'
import { exportJWK, generateKeyPair, type CryptoKey, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildAuthorizationServer } from '../../mock-as/app.ts'
import { ASSERTION_TYPE } from '../../mock-as/client-assertion.ts'
import { basic, json, post } from '../../mock-as/testing.ts'

const ISSUER = 'http://127.0.0.1:9999'
const ADMIN = 'admin-token-for-tests'

describe('mock-as private_key_jwt (RFC 7523)', () => {
  let app: FastifyInstance
  let key: CryptoKey
  let other: CryptoKey
  let n = 0

  beforeAll(async () => {
    ;({ privateKey: key } = await generateKeyPair('ES256', { extractable: true }))
    const pub = await generateKeyPair('ES256', { extractable: true })
    other = pub.privateKey
    const { d: _d, ...jwk } = await exportJWK(key)
    app = await buildAuthorizationServer({
      logger: false,
      adminToken: ADMIN,
      config: {
        issuer: ISSUER,
        clients: [
          {
            clientId: 'pkj',
            tokenEndpointAuthMethod: 'private_key_jwt',
            jwks: { keys: [{ ...jwk, kid: 'k1' }] },
            scopes: ['orders:read'],
            audience: 'https://api.example',
          },
          { clientId: 'svc', clientSecret: 'svc-secret', scopes: ['orders:read'], audience: 'https://api.example' },
          { clientId: 'rs', clientSecret: 'rs-secret', grantTypes: [] },
        ],
      },
    })
  })
  afterAll(() => app.close())

  async function assertion(
    claims: Record<string, unknown> = {},
    opts: { signWith?: CryptoKey; exp?: number; kid?: string } = {},
  ): Promise<string> {
    const now = Math.floor(Date.now() / 1000)
    const payload: Record<string, unknown> = {
      iss: 'pkj',
      sub: 'pkj',
      aud: ISSUER,
      jti: `jti-${++n}-${Math.random()}`,
      iat: now,
      exp: opts.exp ?? now + 60,
      ...claims,
    }
    for (const [k, v] of Object.entries(payload)) if (v === null) delete payload[k]
    return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: opts.kid ?? 'k1' }).sign(opts.signWith ?? key)
  }

  const tokenWith = (a: string, extra: Record<string, string> = {}) =>
    post(app, '/token', {
      grant_type: 'client_credentials',
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: a,
      ...extra,
    })

  async function refused(a: string, pattern: RegExp, extra: Record<string, string> = {}): Promise<void> {
    const res = await tokenWith(a, extra)
    expect(res.statusCode).toBe(401)
    expect(json(res).error).toBe('invalid_client')
    expect(String(json(res).error_description)).toMatch(pattern)
  }

  it('issues a token for an assertion with aud = the issuer', async () => {
    const res = await tokenWith(await assertion())
    expect(res.statusCode).toBe(200)
    expect(typeof json(res).access_token).toBe('string')
  })

  it('accepts aud = the token endpoint URL, and an aud array holding the issuer', async () => {
    expect((await tokenWith(await assertion({ aud: `${ISSUER}/token` }))).statusCode).toBe(200)
    expect((await tokenWith(await assertion({ aud: ['https://other', ISSUER] }))).statusCode).toBe(200)
  })

  it('refuses a replayed jti', async () => {
    const a = await assertion()
    expect((await tokenWith(a)).statusCode).toBe(200)
    await refused(a, /"jti" was already used/)
  })

  it('refuses a wrong aud, an expired one, one too far ahead, and a foreign signature', async () => {
    await refused(await assertion({ aud: 'https://elsewhere' }), /"aud"/)
    await refused(await assertion({}, { exp: Math.floor(Date.now() / 1000) - 60 }), /expired/)
    await refused(await assertion({}, { exp: Math.floor(Date.now() / 1000) + 3600 }), /too far ahead/)
    await refused(await assertion({ exp: null }), /"exp" claim is missing/)
    await refused(await assertion({}, { signWith: other }), /signature verification failed/)
    await refused(await assertion({}, { kid: 'nope' }), /unknown client_assertion "kid"/)
  })

  it('refuses iss or sub other than the client, a missing jti, iat in the future', async () => {
    await refused(await assertion({ sub: 'someone' }), /"sub"/)
    await refused(await assertion({ jti: null }), /"jti" claim is missing/)
    await refused(await assertion({ iat: Math.floor(Date.now() / 1000) + 600 }), /"iat"/)
    await refused(await assertion(), /client_id does not match/, { client_id: 'svc' })
  })

  it('refuses a garbage assertion, a wrong assertion type and a secret next to an assertion, never with a 500', async () => {
    await refused('not-a-jwt', /authentication failed|compact/)
    await refused('e30.e30.AAAA', /authentication failed/)
    const wrongType = await post(app, '/token', {
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:x',
      client_assertion: await assertion(),
    })
    expect(wrongType.statusCode).toBe(401)
    expect(json(wrongType).error_description).toMatch(/client_assertion_type/)
    const both = await post(
      app,
      '/token',
      { grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion() },
      { authorization: basic('svc', 'svc-secret') },
    )
    expect(both.statusCode).toBe(400)
    expect(json(both).error).toBe('invalid_request')
  })

  it('refuses a private_key_jwt client that sends no assertion, and a secret client that sends one', async () => {
    const none = await post(app, '/token', { grant_type: 'client_credentials', client_id: 'pkj' })
    expect(none.statusCode).toBe(401)
    expect(json(none).error_description).toMatch(/client_assertion required/)
    await refused(await assertion({ iss: 'svc', sub: 'svc' }), /not registered for private_key_jwt/)
  })

  it('authenticates at introspection and revocation with an assertion too', async () => {
    const tok = json(await tokenWith(await assertion())).access_token as string
    const intro = await post(app, '/introspect', {
      token: tok,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await assertion(),
    })
    expect(intro.statusCode).toBe(200)
    expect(json(intro).active).toBe(true)
    const rev = await post(app, '/revoke', {
      token: tok,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await assertion(),
    })
    expect(rev.statusCode).toBe(200)
  })

  it('narrows the accepted aud to the issuer through the control API, and reset widens it again', async () => {
    const auth = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }
    const put = await app.inject({
      method: 'PUT',
      url: '/_chaos/assertion-audience',
      headers: auth,
      payload: { audience: 'issuer' },
    })
    expect(put.statusCode).toBe(200)
    await refused(await assertion({ aud: `${ISSUER}/token` }), /expected "http:\/\/127.0.0.1:9999"\)/)
    expect((await tokenWith(await assertion())).statusCode).toBe(200)
    const bad = await app.inject({
      method: 'PUT',
      url: '/_chaos/assertion-audience',
      headers: auth,
      payload: { audience: 'anything' },
    })
    expect(bad.statusCode).toBe(400)
    await app.inject({ method: 'POST', url: '/_chaos/reset', headers: { authorization: `Bearer ${ADMIN}` } })
    expect((await tokenWith(await assertion({ aud: `${ISSUER}/token` }))).statusCode).toBe(200)
  })

  it('advertises private_key_jwt and its algorithms in discovery', async () => {
    const meta = json(await app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' }))
    expect(meta.token_endpoint_auth_methods_supported).toContain('private_key_jwt')
    expect(meta.token_endpoint_auth_signing_alg_values_supported).toContain('ES256')
  })
})
