import type { FastifyInstance } from 'fastify'
import { createLocalJWKSet, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildAuthorizationServer } from '../../mock-as/app.ts'
import { authorize, basic, codeFlow, decodeJwt, json, pkce, post } from '../../mock-as/testing.ts'

const ISSUER = 'http://127.0.0.1:9000'
const SVC = { authorization: basic('svc', 'svc-secret') }
const REDIRECT = 'http://127.0.0.1:5173/cb'

describe('mock-as conformance', () => {
  let app: FastifyInstance
  beforeAll(async () => {
    app = await buildAuthorizationServer({ config: { issuer: ISSUER }, logger: false })
  })
  afterAll(async () => {
    await app.close()
  })

  describe('metadata', () => {
    it('serves RFC 8414 metadata at both well-known names', async () => {
      for (const url of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
        const res = await app.inject({ url })
        expect(res.statusCode).toBe(200)
        const m = json(res)
        expect(m.issuer).toBe(ISSUER)
        expect(m.token_endpoint).toBe(`${ISSUER}/token`)
        expect(m.authorization_endpoint).toBe(`${ISSUER}/authorize`)
        expect(m.jwks_uri).toBe(`${ISSUER}/jwks`)
        expect(m.introspection_endpoint).toBe(`${ISSUER}/introspect`)
        expect(m.revocation_endpoint).toBe(`${ISSUER}/revoke`)
        expect(m.device_authorization_endpoint).toBe(`${ISSUER}/device_authorization`)
        expect(m.code_challenge_methods_supported).toEqual(['S256'])
        expect(m.authorization_response_iss_parameter_supported).toBe(true)
        expect(m.response_types_supported).toEqual(['code'])
        expect(m.grant_types_supported).toEqual(
          expect.arrayContaining([
            'authorization_code',
            'client_credentials',
            'refresh_token',
            'urn:ietf:params:oauth:grant-type:device_code',
          ]),
        )
        expect(m.token_endpoint_auth_methods_supported).toEqual([
          'client_secret_basic',
          'client_secret_post',
          'private_key_jwt',
          'none',
        ])
        expect(m.pushed_authorization_request_endpoint).toBe(`${ISSUER}/par`)
      }
    })

    it('publishes only public key members with kid, alg and use, cacheable', async () => {
      const res = await app.inject({ url: '/jwks' })
      expect(res.statusCode).toBe(200)
      expect(res.headers['cache-control']).toBe('public, max-age=300')
      const { keys } = json(res) as { keys: Record<string, unknown>[] }
      expect(keys).toHaveLength(1)
      const k = keys[0]!
      expect(k).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' })
      expect(typeof k.kid).toBe('string')
      for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(k).not.toHaveProperty(priv)
    })

    it('answers /healthz and /metrics', async () => {
      expect(json(await app.inject({ url: '/healthz' }))).toEqual({ status: 'ok' })
      await post(app, '/token', { grant_type: 'client_credentials' }, SVC)
      await post(app, '/token', { grant_type: 'client_credentials' }, { authorization: basic('svc', 'nope') })
      const m = await app.inject({ url: '/metrics' })
      expect(m.statusCode).toBe(200)
      expect(m.body).toMatch(
        /mock_as_requests_total\{endpoint="\/token",grant_type="client_credentials",status="200",error="",source="load"\} \d+/,
      )
      expect(m.body).toMatch(
        /mock_as_requests_total\{endpoint="\/token",grant_type="client_credentials",status="401",error="invalid_client",source="load"\} \d+/,
      )
      expect(m.body).toMatch(/mock_as_tokens_issued_total\{grant_type="client_credentials",format="jwt"\} \d+/)
      expect(m.body).toContain('mock_as_request_duration_seconds_bucket')
      expect(m.body).toMatch(/mock_as_published_keys 1/)
      expect(m.body).toContain('mock_as_refresh_reuse_detected_total')
    })

    it('counts requests marked x-gameday-probe under source="probe"', async () => {
      await post(app, '/token', { grant_type: 'client_credentials' }, { ...SVC, 'x-gameday-probe': 'test' })
      const m = await app.inject({ url: '/metrics' })
      expect(m.body).toMatch(
        /mock_as_requests_total\{endpoint="\/token",grant_type="client_credentials",status="200",error="",source="probe"\} 1\n/,
      )
    })
  })

  describe('token endpoint: client_credentials and client authentication', () => {
    it('issues an RFC 9068 JWT that verifies against the JWKS', async () => {
      const res = await post(app, '/token', { grant_type: 'client_credentials', scope: 'orders:read' }, SVC)
      expect(res.statusCode).toBe(200)
      expect(res.headers['cache-control']).toBe('no-store')
      const body = json(res)
      expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 300, scope: 'orders:read' })
      expect(body).not.toHaveProperty('refresh_token')
      const jwks = createLocalJWKSet(json(await app.inject({ url: '/jwks' })) as never)
      const { payload, protectedHeader } = await jwtVerify(String(body.access_token), jwks, {
        issuer: ISSUER,
        audience: 'https://api.example',
        typ: 'at+jwt',
      })
      expect(protectedHeader.alg).toBe('ES256')
      expect(payload).toMatchObject({ sub: 'svc', client_id: 'svc', scope: 'orders:read' })
      for (const c of ['exp', 'iat', 'nbf', 'jti']) expect(payload).toHaveProperty(c)
      expect(payload.exp! - payload.iat!).toBe(300)
    })

    it('accepts client_secret_post and form-urlencoded Basic credentials', async () => {
      expect(
        (await post(app, '/token', { grant_type: 'client_credentials', client_id: 'svc', client_secret: 'svc-secret' }))
          .statusCode,
      ).toBe(200)
      const special = await buildAuthorizationServer({
        config: {
          issuer: ISSUER,
          clients: [{ clientId: 'a b:c', clientSecret: 'p@ss w:rd%', grantTypes: ['client_credentials'] }],
        },
        logger: false,
      })
      const res = await post(
        special,
        '/token',
        { grant_type: 'client_credentials' },
        { authorization: basic('a b:c', 'p@ss w:rd%') },
      )
      expect(res.statusCode).toBe(200)
      expect(decodeJwt(String(json(res).access_token)).payload.aud).toBe('a b:c')
      await special.close()
    })

    it('refuses two authentication methods with invalid_request', async () => {
      const res = await post(app, '/token', { grant_type: 'client_credentials', client_secret: 'svc-secret' }, SVC)
      expect(res.statusCode).toBe(400)
      expect(json(res).error).toBe('invalid_request')
    })

    it('answers invalid_client with 401 and WWW-Authenticate Basic', async () => {
      for (const auth of [
        basic('svc', 'wrong'),
        basic('nobody', 'x'),
        'Basic !!!notbase64',
        `Basic ${Buffer.from('no-colon').toString('base64')}`,
      ]) {
        const res = await post(app, '/token', { grant_type: 'client_credentials' }, { authorization: auth })
        expect(res.statusCode, auth).toBe(401)
        expect(json(res).error).toBe('invalid_client')
        expect(String(res.headers['www-authenticate'])).toMatch(/^Basic /)
        expect(res.headers['cache-control']).toBe('no-store')
      }
      const post401 = await post(app, '/token', {
        grant_type: 'client_credentials',
        client_id: 'svc',
        client_secret: 'wrong',
      })
      expect(post401.statusCode).toBe(401)
      expect(json(post401).error).toBe('invalid_client')
      const none = await post(app, '/token', { grant_type: 'client_credentials', client_id: 'svc' })
      expect(json(none).error).toBe('invalid_client')
    })

    it('maps grant problems to the RFC 6749 §5.2 codes', async () => {
      const cases: Array<[Record<string, string>, Record<string, string>, number, string]> = [
        [{}, SVC, 400, 'invalid_request'],
        [{ grant_type: 'password', username: 'alice', password: 'wonderland' }, SVC, 400, 'unsupported_grant_type'],
        [{ grant_type: 'authorization_code', code: 'x' }, SVC, 400, 'unauthorized_client'],
        [{ grant_type: 'client_credentials', scope: 'admin' }, SVC, 400, 'invalid_scope'],
        [{ grant_type: 'client_credentials', resource: 'not a uri' }, SVC, 400, 'invalid_target'],
        [{ grant_type: 'client_credentials', resource: 'https://api.example/#frag' }, SVC, 400, 'invalid_target'],
        [{ grant_type: 'client_credentials', client_id: 'spa' }, {}, 400, 'unauthorized_client'],
      ]
      for (const [params, headers, status, error] of cases) {
        const res = await post(app, '/token', params, headers)
        expect(res.statusCode, JSON.stringify(params)).toBe(status)
        expect(json(res).error, JSON.stringify(params)).toBe(error)
        expect(typeof json(res).error_description).toBe('string')
        expect(res.headers['cache-control']).toBe('no-store')
      }
    })

    it('enforces form rules: urlencoded only, repeated → invalid_request, empty = absent, unknown ignored, 64 KiB', async () => {
      const asJson = await app.inject({
        method: 'POST',
        url: '/token',
        headers: { 'content-type': 'application/json', ...SVC },
        payload: '{"grant_type":"client_credentials"}',
      })
      expect(asJson.statusCode).toBe(400)
      expect(json(asJson).error).toBe('invalid_request')
      const repeated = await post(
        app,
        '/token',
        'grant_type=client_credentials&scope=orders:read&scope=orders:write',
        SVC,
      )
      expect(json(repeated).error).toBe('invalid_request')
      const empty = await post(app, '/token', 'grant_type=client_credentials&scope=&foo=bar', SVC)
      expect(empty.statusCode).toBe(200)
      expect(json(empty).scope).toBe('orders:read orders:write')
      const big = await post(app, '/token', `grant_type=client_credentials&x=${'a'.repeat(70 * 1024)}`, SVC)
      expect([400, 413]).toContain(big.statusCode)
      expect(json(big).error).toBe('invalid_request')
      const charset = await app.inject({
        method: 'POST',
        url: '/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8', ...SVC },
        payload: 'grant_type=client_credentials',
      })
      expect(charset.statusCode).toBe(200)
    })

    it('takes the audience from RFC 8707 resource, several resources giving an array', async () => {
      const multi = await buildAuthorizationServer({
        config: {
          issuer: ISSUER,
          resources: { allowed: ['https://rs.example/', 'https://a.example', 'https://b.example'] },
        },
        logger: false,
      })
      const one = json(
        await post(multi, '/token', { grant_type: 'client_credentials', resource: 'https://rs.example/' }, SVC),
      )
      expect(decodeJwt(String(one.access_token)).payload.aud).toBe('https://rs.example/')
      const two = json(
        await post(
          multi,
          '/token',
          'grant_type=client_credentials&resource=https%3A%2F%2Fa.example&resource=https%3A%2F%2Fb.example',
          SVC,
        ),
      )
      expect(decodeJwt(String(two.access_token)).payload.aud).toEqual(['https://a.example', 'https://b.example'])
      await multi.close()
    })

    it('refuses a resource it does not know with invalid_target (RFC 8707 §2), unless resources.allowAny', async () => {
      const evil = await post(
        app,
        '/token',
        { grant_type: 'client_credentials', resource: 'https://evil.example' },
        SVC,
      )
      expect(evil.statusCode).toBe(400)
      expect(json(evil).error).toBe('invalid_target')
      const known = json(
        await post(app, '/token', { grant_type: 'client_credentials', resource: 'https://api.example' }, SVC),
      )
      expect(decodeJwt(String(known.access_token)).payload.aud).toBe('https://api.example')
      const lax = await buildAuthorizationServer({
        config: { issuer: ISSUER, resources: { allowAny: true } },
        logger: false,
      })
      expect(
        decodeJwt(
          String(
            json(await post(lax, '/token', { grant_type: 'client_credentials', resource: 'https://evil.example' }, SVC))
              .access_token,
          ),
        ).payload.aud,
      ).toBe('https://evil.example')
      await lax.close()
    })

    it('issues opaque tokens of at least 256 bits for opaque clients', async () => {
      const body = json(
        await post(
          app,
          '/token',
          { grant_type: 'client_credentials' },
          { authorization: basic('svc-opaque', 'svc-opaque-secret') },
        ),
      )
      const token = String(body.access_token)
      expect(token).toMatch(/^[A-Za-z0-9_-]+$/)
      expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(32)
      expect(token).not.toContain('.')
    })

    it('uses the configured typ and alg, and every alg verifies against the JWKS', async () => {
      for (const alg of ['EdDSA', 'ES256', 'RS256', 'PS256'] as const) {
        const other = await buildAuthorizationServer({
          config: { issuer: ISSUER, accessTokenTyp: 'JWT', signing: { alg } },
          logger: false,
        })
        const body = json(await post(other, '/token', { grant_type: 'client_credentials' }, SVC))
        expect(decodeJwt(String(body.access_token)).header).toMatchObject({ typ: 'JWT', alg })
        const jwks = createLocalJWKSet(json(await other.inject({ url: '/jwks' })) as never)
        await expect(
          jwtVerify(String(body.access_token), jwks, { issuer: ISSUER, algorithms: [alg] }),
        ).resolves.toBeTruthy()
        await other.close()
      }
    })
  })

  describe('authorize endpoint', () => {
    it('renders a login and consent form with CSRF protection', async () => {
      const { challenge } = pkce()
      const page = await app.inject({
        url: `/authorize?response_type=code&client_id=spa&redirect_uri=${encodeURIComponent(REDIRECT)}&code_challenge=${challenge}&code_challenge_method=S256`,
      })
      expect(page.statusCode).toBe(200)
      expect(page.headers['content-type']).toMatch(/text\/html/)
      expect(page.body).toMatch(/<input name="username"/)
      expect(page.body).toMatch(/<input name="password" type="password"/)
      expect(page.body).toContain('name="decision" value="approve"')
      expect(page.body).toContain('name="decision" value="deny"')
      expect(page.body).toContain('name="csrf"')
      expect(String(page.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Lax/)
      expect(page.headers['x-frame-options']).toBe('DENY')
    })

    it('refuses a form post whose CSRF token does not match the cookie', async () => {
      const { challenge } = pkce()
      const page = await app.inject({
        url: `/authorize?response_type=code&client_id=spa&redirect_uri=${encodeURIComponent(REDIRECT)}&code_challenge=${challenge}&code_challenge_method=S256`,
      })
      const txn = /name="txn" value="([^"]+)"/.exec(page.body)![1]!
      const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!
      const noCookie = await post(app, '/authorize', {
        txn,
        csrf,
        username: 'alice',
        password: 'wonderland',
        decision: 'approve',
      })
      expect(noCookie.statusCode).toBe(403)
      const wrong = await post(
        app,
        '/authorize',
        { txn, csrf: 'forged', username: 'alice', password: 'wonderland', decision: 'approve' },
        { cookie: `mock_as_csrf=${csrf}` },
      )
      expect(wrong.statusCode).toBe(403)
      expect(wrong.headers.location).toBeUndefined()
    })

    it('redirects with code, state and iss after approval, and re-asks on a bad password', async () => {
      const { challenge } = pkce()
      const q = {
        response_type: 'code',
        client_id: 'spa',
        redirect_uri: REDIRECT,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        state: 'xyz',
      }
      const bad = await authorize(app, q, { password: 'nope' })
      expect(bad.submit!.statusCode).toBe(401)
      expect(bad.submit!.body).toContain('invalid username or password')
      const ok = await authorize(app, q)
      expect(ok.submit!.statusCode).toBe(303)
      expect(`${ok.location!.origin}${ok.location!.pathname}`).toBe(REDIRECT)
      expect(ok.location!.searchParams.get('state')).toBe('xyz')
      expect(ok.location!.searchParams.get('iss')).toBe(ISSUER)
      expect(ok.location!.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    })

    it('redirects access_denied with iss when the user denies', async () => {
      const { challenge } = pkce()
      const r = await authorize(
        app,
        {
          response_type: 'code',
          client_id: 'spa',
          redirect_uri: REDIRECT,
          code_challenge: challenge,
          code_challenge_method: 'S256',
          state: 's1',
        },
        { decision: 'deny' },
      )
      expect(r.location!.searchParams.get('error')).toBe('access_denied')
      expect(r.location!.searchParams.get('state')).toBe('s1')
      expect(r.location!.searchParams.get('iss')).toBe(ISSUER)
    })

    it('shows errors on the page (no redirect) for a bad client_id or redirect_uri', async () => {
      const { challenge } = pkce()
      const base = { response_type: 'code', code_challenge: challenge, code_challenge_method: 'S256' }
      for (const q of [
        { ...base, client_id: 'nobody', redirect_uri: REDIRECT },
        { ...base, client_id: 'spa', redirect_uri: 'http://127.0.0.1:5173/cb/extra' },
        { ...base, client_id: 'spa', redirect_uri: 'https://evil.example/cb' },
        { ...base, client_id: 'web', redirect_uri: 'http://127.0.0.1:5174/cb' },
        { ...base, redirect_uri: REDIRECT },
      ]) {
        const res = await app.inject({ url: `/authorize?${new URLSearchParams(q)}` })
        expect(res.statusCode, JSON.stringify(q)).toBe(400)
        expect(res.headers.location).toBeUndefined()
        expect(res.headers['content-type']).toMatch(/text\/html/)
      }
    })

    it('allows loopback port variance for a public (native) client only', async () => {
      const { challenge } = pkce()
      const res = await app.inject({
        url: `/authorize?${new URLSearchParams({ response_type: 'code', client_id: 'spa', redirect_uri: 'http://127.0.0.1:61234/cb', code_challenge: challenge, code_challenge_method: 'S256' })}`,
      })
      expect(res.statusCode).toBe(200)
    })

    it('redirects request errors per RFC 6749 §4.1.2.1 with iss', async () => {
      const { challenge } = pkce()
      const base = { client_id: 'spa', redirect_uri: REDIRECT, state: 'q' }
      const cases: Array<[Record<string, string>, string]> = [
        [
          { ...base, response_type: 'token', code_challenge: challenge, code_challenge_method: 'S256' },
          'unsupported_response_type',
        ],
        [{ ...base, code_challenge: challenge, code_challenge_method: 'S256' }, 'invalid_request'],
        [{ ...base, response_type: 'code' }, 'invalid_request'],
        [
          { ...base, response_type: 'code', code_challenge: challenge, code_challenge_method: 'plain' },
          'invalid_request',
        ],
        [{ ...base, response_type: 'code', code_challenge: challenge }, 'invalid_request'],
        [
          {
            ...base,
            response_type: 'code',
            code_challenge: challenge,
            code_challenge_method: 'S256',
            scope: 'orders:write',
          },
          'invalid_scope',
        ],
        [{ client_id: 'device', redirect_uri: 'x', response_type: 'code' }, ''],
      ]
      for (const [q, error] of cases) {
        const res = await app.inject({ url: `/authorize?${new URLSearchParams(q)}` })
        if (error === '') {
          expect(res.statusCode).toBe(400)
          continue
        }
        expect(res.statusCode, JSON.stringify(q)).toBe(302)
        const loc = new URL(String(res.headers.location))
        expect(loc.searchParams.get('error'), JSON.stringify(q)).toBe(error)
        expect(loc.searchParams.get('state')).toBe('q')
        expect(loc.searchParams.get('iss')).toBe(ISSUER)
      }
    })

    it('refuses a repeated authorization parameter', async () => {
      const res = await app.inject({ url: `/authorize?client_id=spa&client_id=web&response_type=code` })
      expect(res.statusCode).toBe(400)
    })
  })

  describe('authorization_code grant', () => {
    it('exchanges a code with PKCE for an access and refresh token', async () => {
      const body = await codeFlow(app, 'spa', REDIRECT)
      expect(body).toMatchObject({ token_type: 'Bearer', scope: 'orders:read' })
      expect(typeof body.refresh_token).toBe('string')
      expect(decodeJwt(String(body.access_token)).payload).toMatchObject({
        sub: 'alice',
        client_id: 'spa',
        aud: 'https://api.example',
      })
    })

    it('works for a confidential client with Basic auth', async () => {
      const body = await codeFlow(app, 'web', REDIRECT, { authorization: basic('web', 'web-secret') })
      expect(body.scope).toBe('orders:read orders:write')
    })

    it('refuses a wrong verifier, a missing verifier and a different redirect_uri', async () => {
      for (const change of ['verifier', 'none', 'redirect', 'client'] as const) {
        const { verifier, challenge } = pkce()
        const { location } = await authorize(app, {
          response_type: 'code',
          client_id: 'spa',
          redirect_uri: REDIRECT,
          code_challenge: challenge,
          code_challenge_method: 'S256',
        })
        const code = location!.searchParams.get('code')!
        const params: Record<string, string> = {
          grant_type: 'authorization_code',
          code,
          client_id: 'spa',
          redirect_uri: REDIRECT,
          code_verifier: verifier,
        }
        if (change === 'verifier') params.code_verifier = pkce().verifier
        if (change === 'none') delete params.code_verifier
        if (change === 'redirect') params.redirect_uri = 'http://127.0.0.1:5173/other'
        if (change === 'client') params.client_id = 'device'
        const res = await post(app, '/token', params)
        expect(res.statusCode, change).toBe(change === 'client' ? 400 : 400)
        expect(json(res).error, change).toBe(change === 'client' ? 'unauthorized_client' : 'invalid_grant')
      }
    })
  })

  describe('introspection and revocation', () => {
    it('requires client authentication', async () => {
      const res = await post(app, '/introspect', { token: 'x' })
      expect(res.statusCode).toBe(401)
      expect(json(res).error).toBe('invalid_client')
      const pub = await post(app, '/introspect', { token: 'x', client_id: 'spa' })
      expect(pub.statusCode).toBe(401)
    })

    it('reports active JWT and opaque tokens with their claims', async () => {
      for (const [id, secret] of [
        ['svc', 'svc-secret'],
        ['svc-opaque', 'svc-opaque-secret'],
      ]) {
        const token = String(
          json(await post(app, '/token', { grant_type: 'client_credentials' }, { authorization: basic(id!, secret!) }))
            .access_token,
        )
        const res = await post(app, '/introspect', { token }, { authorization: basic('rs', 'rs-secret') })
        expect(res.statusCode).toBe(200)
        expect(res.headers['cache-control']).toBe('no-store')
        expect(json(res)).toMatchObject({
          active: true,
          client_id: id,
          sub: id,
          scope: 'orders:read orders:write',
          iss: ISSUER,
          aud: 'https://api.example',
        })
      }
    })

    it("lets only clients registered to introspect see other clients' tokens (RFC 7662 §4), unless introspection.anyClient", async () => {
      const flow = await codeFlow(app, 'spa', REDIRECT)
      const svcToken = String(json(await post(app, '/token', { grant_type: 'client_credentials' }, SVC)).access_token)
      for (const token of [String(flow.access_token), String(flow.refresh_token)]) {
        expect((await post(app, '/introspect', { token }, SVC)).body).toBe('{"active":false}')
        expect(
          json(await post(app, '/introspect', { token }, { authorization: basic('rs', 'rs-secret') })).active,
        ).toBe(true)
      }
      // its own tokens it may still ask about
      expect(json(await post(app, '/introspect', { token: svcToken }, SVC)).active).toBe(true)
      const lax = await buildAuthorizationServer({
        config: { issuer: ISSUER, introspection: { anyClient: true } },
        logger: false,
      })
      const webFlow = await codeFlow(lax, 'spa', REDIRECT)
      expect(json(await post(lax, '/introspect', { token: String(webFlow.refresh_token) }, SVC))).toMatchObject({
        active: true,
        token_type: 'refresh_token',
      })
      await lax.close()
    })

    it('answers exactly {"active":false} for unknown, foreign, revoked and expired tokens', async () => {
      const rs = { authorization: basic('rs', 'rs-secret') }
      const foreign = 'eyJhbGciOiJFUzI1NiIsImtpZCI6IngifQ.eyJzdWIiOiJ4In0.c2ln'
      for (const t of ['unknown-token', foreign])
        expect((await post(app, '/introspect', { token: t }, rs)).body).toBe('{"active":false}')
      const token = String(json(await post(app, '/token', { grant_type: 'client_credentials' }, SVC)).access_token)
      expect((await post(app, '/revoke', { token }, SVC)).statusCode).toBe(200)
      expect((await post(app, '/introspect', { token }, rs)).body).toBe('{"active":false}')
      let now = Date.now()
      const timed = await buildAuthorizationServer({
        config: { issuer: ISSUER, accessTokenTtl: '60s' },
        logger: false,
        now: () => now,
      })
      const t2 = String(json(await post(timed, '/token', { grant_type: 'client_credentials' }, SVC)).access_token)
      expect(json(await post(timed, '/introspect', { token: t2 }, rs)).active).toBe(true)
      now += 61_000
      expect((await post(timed, '/introspect', { token: t2 }, rs)).body).toBe('{"active":false}')
      await timed.close()
    })

    it('revokes: 200 for unknown tokens, no cross-client revocation, refresh revocation kills the grant', async () => {
      expect((await post(app, '/revoke', { token: 'never-issued' }, SVC)).statusCode).toBe(200)
      const rs = { authorization: basic('rs', 'rs-secret') }
      const svcToken = String(json(await post(app, '/token', { grant_type: 'client_credentials' }, SVC)).access_token)
      const other = await post(app, '/revoke', { token: svcToken }, { authorization: basic('web', 'web-secret') })
      expect(other.statusCode).toBe(400)
      expect(json(await post(app, '/introspect', { token: svcToken }, rs)).active).toBe(true)
      const flow = await codeFlow(app, 'spa', REDIRECT)
      const rev = await post(app, '/revoke', {
        token: String(flow.refresh_token),
        token_type_hint: 'refresh_token',
        client_id: 'spa',
      })
      expect(rev.statusCode).toBe(200)
      expect((await post(app, '/introspect', { token: String(flow.access_token) }, rs)).body).toBe('{"active":false}')
      const again = await post(app, '/token', {
        grant_type: 'refresh_token',
        refresh_token: String(flow.refresh_token),
        client_id: 'spa',
      })
      expect(json(again).error).toBe('invalid_grant')
    })
  })
})
