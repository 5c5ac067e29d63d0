import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildAuthorizationServer } from '../../mock-as/app.ts'
import { basic, injectTransport, json, post } from '../../mock-as/testing.ts'
import { authorize } from '../../src/oauth/authorize.ts'
import { pkcePair } from '../../src/oauth/pkce.ts'

const ISSUER = 'http://127.0.0.1:9998'
const CB = 'http://127.0.0.1:5173/cb'

describe('mock-as pushed authorization requests (RFC 9126)', () => {
  let app: FastifyInstance
  let now = Date.now()

  beforeAll(async () => {
    app = await buildAuthorizationServer({
      logger: false,
      now: () => now,
      config: {
        issuer: ISSUER,
        par: { requestUriTtl: '30s' },
        clients: [
          {
            clientId: 'web',
            clientSecret: 'web-secret',
            redirectUris: [CB],
            grantTypes: ['authorization_code'],
            scopes: ['orders:read'],
          },
          {
            clientId: 'fapi',
            clientSecret: 'fapi-secret',
            redirectUris: [CB],
            grantTypes: ['authorization_code'],
            scopes: ['orders:read'],
            requirePushedAuthorizationRequests: true,
          },
        ],
      },
    })
  })
  afterAll(() => app.close())

  const push = (clientId: string, secret: string, extra: Record<string, string> = {}) =>
    post(
      app,
      '/par',
      {
        response_type: 'code',
        client_id: clientId,
        redirect_uri: CB,
        scope: 'orders:read',
        code_challenge: pkcePair().challenge,
        code_challenge_method: 'S256',
        state: 's1',
        ...extra,
      },
      { authorization: basic(clientId, secret) },
    )
  const authorizeWith = (clientId: string, requestUri: string) =>
    app.inject({
      method: 'GET',
      url: `/authorize?${new URLSearchParams({ client_id: clientId, request_uri: requestUri })}`,
    })

  it('answers 201 with a request_uri urn and expires_in under 600 s, and publishes the endpoint', async () => {
    const res = await push('web', 'web-secret')
    expect(res.statusCode).toBe(201)
    expect(json(res).request_uri).toMatch(/^urn:ietf:params:oauth:request_uri:/)
    expect(json(res).expires_in).toBe(30)
    const meta = json(await app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' }))
    expect(meta.pushed_authorization_request_endpoint).toBe(`${ISSUER}/par`)
    expect(meta.require_pushed_authorization_requests).toBe(false)
  })

  it('authenticates the client at /par as at the token endpoint', async () => {
    const res = await push('web', 'wrong')
    expect(res.statusCode).toBe(401)
    expect(json(res).error).toBe('invalid_client')
    const unregistered = await push('web', 'web-secret', { redirect_uri: 'https://evil.example/cb' })
    expect(unregistered.statusCode).toBe(400)
    expect(json(unregistered).error).toBe('invalid_request')
  })

  it('shows the login page for a pushed request, once: the request_uri is single use', async () => {
    const uri = json(await push('web', 'web-secret')).request_uri as string
    const first = await authorizeWith('web', uri)
    expect(first.statusCode).toBe(200)
    expect(first.body).toContain('orders:read')
    const again = await authorizeWith('web', uri)
    expect(again.statusCode).toBe(400)
    expect(again.body).toMatch(/unknown or was already used/)
  })

  it('refuses an expired request_uri and one pushed by another client', async () => {
    const uri = json(await push('web', 'web-secret')).request_uri as string
    now += 31_000
    const expired = await authorizeWith('web', uri)
    expect(expired.statusCode).toBe(400)
    expect(expired.body).toMatch(/expired/)
    const other = json(await push('web', 'web-secret')).request_uri as string
    const stolen = await authorizeWith('fapi', other)
    expect(stolen.statusCode).toBe(400)
    expect(stolen.body).toMatch(/another client/)
  })

  it('refuses a PAR-required client that skips /par, and lets it through with PAR via the harness front channel', async () => {
    const direct = await app.inject({
      method: 'GET',
      url: `/authorize?${new URLSearchParams({ response_type: 'code', client_id: 'fapi', redirect_uri: CB, code_challenge: pkcePair().challenge, code_challenge_method: 'S256' })}`,
    })
    expect(direct.statusCode).toBe(400)
    expect(direct.body).toMatch(/must push its authorization request/)
    const { verifier } = pkcePair()
    const front = await authorize(
      injectTransport(app),
      { issuer: ISSUER, authorizationEndpoint: `${ISSUER}/authorize` },
      {
        clientId: 'fapi',
        redirectUri: CB,
        username: 'alice',
        password: 'wonderland',
        scope: 'orders:read',
        codeVerifier: verifier,
        par: { endpoint: `${ISSUER}/par`, client: { clientId: 'fapi', clientSecret: 'fapi-secret' } },
      },
    )
    expect(front.error).toBeUndefined()
    expect(typeof front.code).toBe('string')
    const token = await post(
      app,
      '/token',
      { grant_type: 'authorization_code', code: front.code!, redirect_uri: CB, code_verifier: verifier },
      { authorization: basic('fapi', 'fapi-secret') },
    )
    expect(token.statusCode).toBe(200)
  })
})
