/**
 * DPoP (RFC 9449) at mock-as's token endpoint, through `app.inject()` and,
 * for the fast path, over a real loopback socket. Access tokens are checked
 * with jose against the published JWKS (an implementation nobody here wrote).
 */
import type { FastifyInstance } from 'fastify'
import { createLocalJWKSet, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildAuthorizationServer } from '../../mock-as/app.ts'
import { authorize, basic, json, pkce, post } from '../../mock-as/testing.ts'
import { createDpopProof, type DpopKey, generateDpopKey } from '../../src/oauth/dpop.ts'

const ISSUER = 'http://127.0.0.1:9000'
const TOKEN = `${ISSUER}/token`
const REDIRECT = 'http://127.0.0.1:5173/cb'
const ADMIN = 'dpop-admin-token'
const RS = { authorization: basic('rs', 'rs-secret') }
const SVC = { authorization: basic('svc', 'svc-secret') }
const CC = { grant_type: 'client_credentials' }

const proof = (key: DpopKey, extra: Partial<Parameters<typeof createDpopProof>[0]> = {}) =>
  createDpopProof({ key, htm: 'POST', htu: TOKEN, ...extra })

async function verifyAccessToken(app: FastifyInstance, token: string) {
  const jwks = json(await app.inject({ url: '/jwks' })) as never
  return (await jwtVerify(token, createLocalJWKSet(jwks), { issuer: ISSUER, typ: 'at+jwt' })).payload
}

async function introspect(app: FastifyInstance, token: string) {
  return json(await post(app, '/introspect', { token }, RS))
}

async function code(app: FastifyInstance): Promise<{ code: string; verifier: string }> {
  const { verifier, challenge } = pkce()
  const { location } = await authorize(app, {
    response_type: 'code',
    client_id: 'spa',
    redirect_uri: REDIRECT,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  })
  return { code: location!.searchParams.get('code')!, verifier }
}

describe('mock-as DPoP', () => {
  let app: FastifyInstance
  const key = generateDpopKey()
  beforeAll(async () => {
    app = await buildAuthorizationServer({
      adminToken: ADMIN,
      logger: false,
      config: {
        issuer: ISSUER,
        clients: [
          {
            clientId: 'svc',
            clientSecret: 'svc-secret',
            grantTypes: ['client_credentials'],
            scopes: ['orders:read'],
            audience: 'https://api.example',
          },
          {
            clientId: 'svc-opaque',
            clientSecret: 'svc-opaque-secret',
            grantTypes: ['client_credentials'],
            audience: 'https://api.example',
            tokenFormat: 'opaque',
          },
          {
            clientId: 'svc-dpop',
            clientSecret: 'svc-dpop-secret',
            grantTypes: ['client_credentials'],
            dpopBoundAccessTokens: true,
          },
          {
            clientId: 'spa',
            public: true,
            redirectUris: [REDIRECT],
            grantTypes: ['authorization_code', 'refresh_token'],
            scopes: ['orders:read'],
            audience: 'https://api.example',
          },
          {
            clientId: 'web',
            clientSecret: 'web-secret',
            redirectUris: [REDIRECT],
            grantTypes: ['authorization_code', 'refresh_token'],
            scopes: ['orders:read'],
            audience: 'https://api.example',
          },
          { clientId: 'rs', clientSecret: 'rs-secret', grantTypes: [] },
        ],
      },
    })
  })
  afterAll(async () => {
    await app.close()
  })
  const chaos = (body: unknown) =>
    app.inject({
      method: 'PUT',
      url: '/_chaos/dpop',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    })

  it('advertises dpop_signing_alg_values_supported', async () => {
    const meta = json(await app.inject({ url: '/.well-known/oauth-authorization-server' }))
    expect(meta.dpop_signing_alg_values_supported).toEqual(['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256'])
  })

  it('binds a client_credentials JWT to the proof key: token_type DPoP, cnf.jkt in the token and in introspection', async () => {
    const res = await post(app, '/token', CC, { ...SVC, dpop: proof(key) })
    expect(res.statusCode).toBe(200)
    const body = json(res)
    expect(body.token_type).toBe('DPoP')
    const claims = await verifyAccessToken(app, String(body.access_token))
    expect(claims.cnf).toEqual({ jkt: key.jkt })
    const info = await introspect(app, String(body.access_token))
    expect(info).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: key.jkt } })
  })

  it('issues a plain bearer token without a proof', async () => {
    const body = json(await post(app, '/token', CC, SVC))
    expect(body.token_type).toBe('Bearer')
    expect((await verifyAccessToken(app, String(body.access_token))).cnf).toBeUndefined()
    const info = await introspect(app, String(body.access_token))
    expect(info.token_type).toBe('Bearer')
    expect(info.cnf).toBeUndefined()
  })

  it('binds an opaque token, visible in introspection', async () => {
    const body = json(
      await post(app, '/token', CC, { authorization: basic('svc-opaque', 'svc-opaque-secret'), dpop: proof(key) }),
    )
    expect(body.token_type).toBe('DPoP')
    expect(await introspect(app, String(body.access_token))).toMatchObject({ active: true, cnf: { jkt: key.jkt } })
  })

  it('refuses bad proofs with 400 invalid_dpop_proof, never a 500', async () => {
    const other = createDpopProof({ key, htm: 'POST', htu: 'http://127.0.0.1:9001/token' })
    const replayed = proof(key)
    expect((await post(app, '/token', CC, { ...SVC, dpop: replayed })).statusCode).toBe(200)
    const cases: Record<string, string> = {
      garbage: 'not.a.jwt',
      empty: '',
      htu: other,
      htm: createDpopProof({ key, htm: 'GET', htu: TOKEN }),
      stale: proof(key, { iat: Math.floor(Date.now() / 1000) - 600 }),
      replayed,
      twoHeaders: `${proof(key)}, ${proof(key)}`,
    }
    for (const [name, dpop] of Object.entries(cases)) {
      const res = await post(app, '/token', CC, { ...SVC, dpop })
      expect([name, res.statusCode, json(res).error]).toEqual([name, 400, 'invalid_dpop_proof'])
    }
  })

  it('answers hostile proof headers with invalid_dpop_proof, never a 500', async () => {
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
    const claims = enc({ jti: 'x', htm: 'POST', htu: TOKEN, iat: Math.floor(Date.now() / 1000) })
    const headers: unknown[] = [
      null,
      [],
      'dpop+jwt',
      { typ: 'dpop+jwt', alg: 'ES256' },
      { typ: 'dpop+jwt', alg: 'ES256', jwk: [] },
      { typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256', x: 1, y: 2 } },
      { typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' } },
      { typ: 'dpop+jwt', alg: 'RS256', jwk: { kty: 'RSA', n: 'AQAB', e: 'AQAB' } },
      { typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk, crit: ['exp'] },
      { typ: ['dpop+jwt'], alg: 'ES256', jwk: key.publicJwk },
    ]
    const values = [
      ...headers.map((h) => `${enc(h)}.${claims}.AAAA`),
      `${enc({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk })}.bm90IGpzb24.AAAA`,
      `${'a'.repeat(9000)}.b.c`,
      '..',
      '\u0000.\u0000.\u0000',
    ]
    for (const dpop of values) {
      const res = await post(app, '/token', CC, { ...SVC, dpop })
      expect([dpop.slice(0, 60), res.statusCode, json(res).error]).toEqual([
        dpop.slice(0, 60),
        400,
        'invalid_dpop_proof',
      ])
    }
  })

  it('requires a proof from a client registered with dpopBoundAccessTokens', async () => {
    const auth = { authorization: basic('svc-dpop', 'svc-dpop-secret') }
    const res = await post(app, '/token', CC, auth)
    expect([res.statusCode, json(res).error]).toEqual([400, 'invalid_dpop_proof'])
    expect(json(await post(app, '/token', CC, { ...auth, dpop: proof(key) })).token_type).toBe('DPoP')
  })

  it("binds a public client's refresh token to its key: another key or no proof is refused", async () => {
    const { code: c, verifier } = await code(app)
    const form = { grant_type: 'authorization_code', code: c, client_id: 'spa', redirect_uri: REDIRECT }
    const first = json(await post(app, '/token', { ...form, code_verifier: verifier }, { dpop: proof(key) }))
    expect(first.token_type).toBe('DPoP')
    expect((await verifyAccessToken(app, String(first.access_token))).cnf).toEqual({ jkt: key.jkt })
    expect(await introspect(app, String(first.refresh_token))).toMatchObject({ cnf: { jkt: key.jkt } })
    const refresh = { grant_type: 'refresh_token', refresh_token: String(first.refresh_token), client_id: 'spa' }
    const thief = await post(app, '/token', refresh, { dpop: proof(generateDpopKey()) })
    expect([thief.statusCode, json(thief).error]).toEqual([400, 'invalid_grant'])
    const bare = await post(app, '/token', refresh)
    expect([bare.statusCode, json(bare).error]).toEqual([400, 'invalid_grant'])
    const owner = await post(app, '/token', refresh, { dpop: proof(key) })
    expect(owner.statusCode).toBe(200)
    expect(json(owner).token_type).toBe('DPoP')
    expect(await introspect(app, String(json(owner).refresh_token))).toMatchObject({ cnf: { jkt: key.jkt } })
  })

  it("leaves a confidential client's refresh token unbound (RFC 9449 §5)", async () => {
    const { verifier, challenge } = pkce()
    const { location } = await authorize(app, {
      response_type: 'code',
      client_id: 'web',
      redirect_uri: REDIRECT,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    })
    const auth = { authorization: basic('web', 'web-secret') }
    const form = {
      grant_type: 'authorization_code',
      code: location!.searchParams.get('code')!,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    }
    const first = json(await post(app, '/token', form, { ...auth, dpop: proof(key) }))
    expect(first.token_type).toBe('DPoP')
    const next = await post(
      app,
      '/token',
      { grant_type: 'refresh_token', refresh_token: String(first.refresh_token) },
      auth,
    )
    expect(next.statusCode).toBe(200)
    expect(json(next).token_type).toBe('Bearer')
  })

  it('asks for a nonce when nonces are on (use_dpop_nonce + DPoP-Nonce), without spending the code', async () => {
    expect((await chaos({ nonceRequired: true })).statusCode).toBe(200)
    try {
      const { code: c, verifier } = await code(app)
      const form = { grant_type: 'authorization_code', code: c, client_id: 'spa', redirect_uri: REDIRECT }
      const first = await post(app, '/token', { ...form, code_verifier: verifier }, { dpop: proof(key) })
      expect([first.statusCode, json(first).error]).toEqual([400, 'use_dpop_nonce'])
      const nonce = String(first.headers['dpop-nonce'])
      expect(nonce.length).toBeGreaterThan(10)
      const retry = await post(app, '/token', { ...form, code_verifier: verifier }, { dpop: proof(key, { nonce }) })
      expect(retry.statusCode).toBe(200)
      expect(retry.headers['dpop-nonce']).toBe(nonce)
      const wrong = await post(app, '/token', CC, { ...SVC, dpop: proof(key, { nonce: 'stale' }) })
      expect([wrong.statusCode, json(wrong).error]).toEqual([400, 'use_dpop_nonce'])
    } finally {
      await chaos({ nonceRequired: false })
    }
  })

  it('moves the iat window and the replay cache through /_chaos/dpop, and reset restores the config', async () => {
    const old = proof(key, { iat: Math.floor(Date.now() / 1000) - 120 })
    expect(json(await post(app, '/token', CC, { ...SVC, dpop: old })).error).toBe('invalid_dpop_proof')
    expect(json(await chaos({ iatPastSeconds: 300, replayCacheEnabled: false })).iatPastSeconds).toBe(300)
    expect((await post(app, '/token', CC, { ...SVC, dpop: old })).statusCode).toBe(200)
    expect((await post(app, '/token', CC, { ...SVC, dpop: old })).statusCode).toBe(200)
    const state = json(await app.inject({ url: '/_chaos/state', headers: { authorization: `Bearer ${ADMIN}` } }))
    expect(state.dpop).toMatchObject({ iatPastSeconds: 300, replayCacheEnabled: false, nonceRequired: false })
    await app.inject({ method: 'POST', url: '/_chaos/reset', headers: { authorization: `Bearer ${ADMIN}` } })
    expect(json(await post(app, '/token', CC, { ...SVC, dpop: old })).error).toBe('invalid_dpop_proof')
    for (const bad of [{ iatPastSeconds: -1 }, { nonceRequired: 'yes' }, { algs: ['HS256'] }, { ttl: 1 }]) {
      const res = await chaos(bad)
      expect([JSON.stringify(bad), res.statusCode]).toEqual([JSON.stringify(bad), 400])
    }
  })

  it('answers DPoP requests on a real socket (fastify path) and plain ones on the fast path', async () => {
    const live = await buildAuthorizationServer({ logger: false })
    await live.listen({ port: 0, host: '127.0.0.1' })
    try {
      const url = live.oauthContext.issuer
      const send = (headers: Record<string, string>) =>
        fetch(`${url}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...SVC, ...headers },
          body: 'grant_type=client_credentials',
        })
      const before = live.oauthContext.fastToken.answered
      const bound = await send({ dpop: createDpopProof({ key, htm: 'POST', htu: `${url}/token` }) })
      expect(((await bound.json()) as Record<string, unknown>).token_type).toBe('DPoP')
      expect(live.oauthContext.fastToken.answered).toBe(before)
      const plain = await send({})
      expect(((await plain.json()) as Record<string, unknown>).token_type).toBe('Bearer')
      expect(live.oauthContext.fastToken.answered).toBe(before + 1)
    } finally {
      await live.close()
    }
  })
})
