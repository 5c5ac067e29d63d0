/**
 * Interop for private_key_jwt (RFC 7523) and PAR (RFC 9126) with
 * implementations nobody here wrote, both ways: the harness's client
 * (src/oauth) against node-oidc-provider 8 (`features.pushedAuthorizationRequests`,
 * a `private_key_jwt` client with its jwks), and oauth4webapi 3.8 as the
 * client (`PrivateKeyJwt`, `pushedAuthorizationRequest`) against mock-as.
 * Refusals included: replayed jti, wrong aud, expired assertion, request_uri
 * reused or expired, a PAR-required client without PAR.
 */
import { generateKeyPairSync, randomBytes, webcrypto } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import * as oauth from 'oauth4webapi'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildAuthorizationServer } from '../../mock-as/app.ts'
import { authorize as injectAuthorize, json } from '../../mock-as/testing.ts'
import { authCodeLogin as flowLogin } from '../../src/load/flows/login.ts'
import type { FlowContext } from '../../src/load/flows/types.ts'
import { createHttpClient } from '../../src/load/http.ts'
import { authorize } from '../../src/oauth/authorize.ts'
import { CLIENT_ASSERTION_TYPE, type ClientSigningKey, signClientAssertion } from '../../src/oauth/client-assertion.ts'
import { clientCredentials, exchangeCode } from '../../src/oauth/client.ts'
import { pkcePair } from '../../src/oauth/pkce.ts'
import { fetchTransport } from '../../src/oauth/transport.ts'
import { generateClientKey, publicJwk } from '../../src/runtime/client-keys.ts'
import type { Targets } from '../../src/runtime/types.ts'
import { k6Assertion } from '../helpers/k6-lib.ts'

const REDIRECT = 'http://127.0.0.1:7/cb'
const user = { username: 'alice', password: 'wonderland' }

interface ProviderLike {
  on(event: string, fn: (...args: unknown[]) => void): void
  callback(): (req: IncomingMessage, res: ServerResponse) => void
  interactionDetails(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<{ uid: string; params: Record<string, string> }>
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    opts?: Record<string, unknown>,
  ): Promise<void>
  Grant: new (o: { accountId: string; clientId: string }) => { addOIDCScope(s: string): void; save(): Promise<string> }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => (s += c))
    req.on('end', () => resolve(s))
    req.on('error', reject)
  })
}

describe('src/oauth private_key_jwt and PAR against node-oidc-provider 8', () => {
  let server: Server
  let issuer: string
  let tokenEndpoint: string
  let parEndpoint: string
  const key: ClientSigningKey = generateClientKey()
  const pkj = { clientId: 'pkj', privateKey: key, redirectUri: REDIRECT }

  beforeAll(async () => {
    server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const { default: Provider } = (await import('oidc-provider' as string)) as {
      default: new (issuer: string, config: Record<string, unknown>) => ProviderLike
    }
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: 'pkj',
          redirect_uris: [REDIRECT],
          grant_types: ['authorization_code', 'client_credentials'],
          token_endpoint_auth_method: 'private_key_jwt',
          token_endpoint_auth_signing_alg: 'ES256',
          jwks: { keys: [publicJwk(key)] },
          id_token_signed_response_alg: 'ES256',
        },
        {
          client_id: 'par-only',
          client_secret: 'par-only-secret',
          redirect_uris: [REDIRECT],
          grant_types: ['authorization_code'],
          require_pushed_authorization_requests: true,
          id_token_signed_response_alg: 'ES256',
        },
      ],
      jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES256', use: 'sig' }] },
      cookies: { keys: [randomBytes(32).toString('base64url')] },
      interactions: { url: (_ctx: unknown, i: { uid: string }) => `/interaction/${i.uid}` },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        pushedAuthorizationRequests: { enabled: true },
      },
    })
    provider.on('server_error', () => {})
    const op = provider.callback()
    server.on('request', (req, res) => {
      if (!req.url?.startsWith('/interaction/')) return op(req, res)
      void (async () => {
        const details = await provider.interactionDetails(req, res)
        if (req.method === 'GET') {
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
          res.end(
            `<form method="post" action="/interaction/${details.uid}"><input name="username"><input type="password" name="password"><button>Sign in</button></form>`,
          )
          return
        }
        const form = new URLSearchParams(await readBody(req))
        const accountId = form.get('username') ?? ''
        const grant = new provider.Grant({ accountId, clientId: details.params.client_id ?? '' })
        grant.addOIDCScope(details.params.scope ?? 'openid')
        const grantId = await grant.save()
        await provider.interactionFinished(
          req,
          res,
          { login: { accountId }, consent: { grantId } },
          { mergeWithLastSubmission: false },
        )
      })().catch((err: unknown) => res.writeHead(500).end(String(err)))
    })
    const meta = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<string, string>
    tokenEndpoint = meta.token_endpoint!
    parEndpoint = meta.pushed_authorization_request_endpoint!
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  const ep = () => ({ issuer, authorizationEndpoint: `${issuer}/auth`, tokenEndpoint })
  const ccWith = (assertion: string) =>
    fetch(tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'pkj',
        client_assertion_type: CLIENT_ASSERTION_TYPE,
        client_assertion: assertion,
      }),
    })

  it('gets a token with private_key_jwt, aud = the issuer and aud = the token endpoint URL', async () => {
    expect(await clientCredentials(ep(), { ...pkj, assertionAudience: issuer })).toMatchObject({ ok: true })
    expect(await clientCredentials(ep(), { ...pkj, assertionAudience: tokenEndpoint })).toMatchObject({ ok: true })
  })

  it("gets tokens with the k6 script's WebCrypto assertions (lib.js), aud = the issuer and the token endpoint URL", async () => {
    const k6Key = await k6Assertion.importAssertionKey(key.jwk, key.alg)
    for (const aud of [issuer, tokenEndpoint]) {
      const res = await ccWith(await k6Assertion.clientAssertion(k6Key, key.alg, key.kid ?? '', 'pkj', aud))
      expect(res.status, await res.clone().text()).toBe(200)
    }
    const elsewhere = await ccWith(await k6Assertion.clientAssertion(k6Key, key.alg, key.kid ?? '', 'pkj', 'x'))
    expect(((await elsewhere.json()) as { error: string }).error).toBe('invalid_client')
  })

  it('has a replayed assertion, a wrong aud and an expired assertion refused with invalid_client', async () => {
    const once = signClientAssertion(key, { clientId: 'pkj', audience: issuer })
    expect((await ccWith(once)).status).toBe(200)
    const replay = await ccWith(once)
    expect(replay.status).toBe(401)
    expect(((await replay.json()) as { error: string }).error).toBe('invalid_client')
    expect(await clientCredentials(ep(), { ...pkj, assertionAudience: 'https://elsewhere.example' })).toMatchObject({
      ok: false,
      error: 'invalid_client',
    })
    const expired = signClientAssertion(key, {
      clientId: 'pkj',
      audience: issuer,
      now: Math.floor(Date.now() / 1000) - 3600,
    })
    expect((await ccWith(expired)).status).toBe(401)
  })

  it('logs in through PAR (pushed with private_key_jwt) and redeems the code with private_key_jwt', async () => {
    const { verifier } = pkcePair()
    const front = await authorize(fetchTransport(), ep(), {
      clientId: 'pkj',
      redirectUri: REDIRECT,
      ...user,
      scope: 'openid',
      codeVerifier: verifier,
      par: { endpoint: parEndpoint, client: { ...pkj, assertionAudience: issuer } },
    })
    expect(front.error_description ?? front.error, JSON.stringify(front)).toBeUndefined()
    const token = await exchangeCode(ep(), { ...pkj, assertionAudience: issuer }, front.code!, verifier)
    expect(token).toMatchObject({ ok: true, status: 200 })
    expect(typeof token.id_token).toBe('string')
  })

  it("logs in through the load flow's login with par: true and private_key_jwt, the push and the exchange both signed", async () => {
    const http = createHttpClient({ connections: 2 })
    const records: Array<{ metric: string; failed: boolean }> = []
    const urls: string[] = []
    const now = () => performance.timeOrigin + performance.now()
    const ctx = {
      name: 'auth-code',
      config: { flow: 'auth-code', par: true },
      targets: {
        issuer,
        authorizationEndpoint: `${issuer}/auth`,
        tokenEndpoint,
        pushedAuthorizationRequestEndpoint: parEndpoint,
      } as Targets,
      http: {
        request: (r: { url: string }) => {
          urls.push(r.url)
          return http.request(r as never)
        },
      },
      timeoutMs: 5000,
      now,
      record: (metric: string, _t: unknown, _i: number, _s: number, _e: number, failed: boolean) =>
        records.push({ metric, failed }),
      registerSecret: () => {},
      warn: (m: string) => {
        throw new Error(m)
      },
    } as unknown as FlowContext
    try {
      const r = await flowLogin(ctx, {
        client: {
          clientId: 'pkj',
          public: false,
          grantTypes: ['authorization_code'],
          scopes: ['openid'],
          redirectUris: [REDIRECT],
          authMethod: 'private_key_jwt',
          privateKey: key,
        },
        user,
        scope: 'openid',
        intendedStart: now(),
        signal: new AbortController().signal,
        record: true,
      })
      expect(r.reason, JSON.stringify(records)).toBeUndefined()
      expect(r.ok).toBe(true)
      expect(records.filter((x) => x.metric === 'oauth_token' && !x.failed)).toHaveLength(1)
      expect(urls[0]).toBe(parEndpoint)
      expect(new URL(urls[1]!).searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/)
    } finally {
      await http.close()
    }
  })

  it('has a PAR-required client refused without PAR and let through with it', async () => {
    const without = await authorize(fetchTransport(), ep(), {
      clientId: 'par-only',
      redirectUri: REDIRECT,
      ...user,
      scope: 'openid',
      codeVerifier: pkcePair().verifier,
    })
    expect(without.code).toBeUndefined()
    expect(without.error).toBe('invalid_request')
    const withPar = await authorize(fetchTransport(), ep(), {
      clientId: 'par-only',
      redirectUri: REDIRECT,
      ...user,
      scope: 'openid',
      codeVerifier: pkcePair().verifier,
      par: { endpoint: parEndpoint, client: { clientId: 'par-only', clientSecret: 'par-only-secret' } },
    })
    expect(withPar.error, JSON.stringify(withPar)).toBeUndefined()
    expect(typeof withPar.code).toBe('string')
  })
})

describe('oauth4webapi 3.8 (PrivateKeyJwt, pushedAuthorizationRequest) against mock-as', () => {
  let app: FastifyInstance
  let as: oauth.AuthorizationServer
  let clientKey: webcrypto.CryptoKey
  const insecure = { [oauth.allowInsecureRequests]: true } as const
  const client: oauth.Client = { client_id: 'pkj' }
  let auth: oauth.ClientAuth
  let shiftMs = 0

  beforeAll(async () => {
    const { privateKey, publicKey } = (await webcrypto.subtle.generateKey(
      { name: 'ECDSA', namedCurve: 'P-256' },
      true,
      ['sign', 'verify'],
    )) as webcrypto.CryptoKeyPair
    clientKey = privateKey
    const jwk = await webcrypto.subtle.exportKey('jwk', publicKey)
    app = await buildAuthorizationServer({
      logger: false,
      adminToken: 'admin-token-for-tests',
      now: () => Date.now() + shiftMs,
      config: {
        par: { requestUriTtl: '2s' },
        clients: [
          {
            clientId: 'pkj',
            tokenEndpointAuthMethod: 'private_key_jwt',
            jwks: { keys: [{ ...jwk, kid: 'o4w' }] },
            grantTypes: ['client_credentials', 'authorization_code'],
            redirectUris: [REDIRECT],
            scopes: ['orders:read'],
            audience: 'https://api.example',
            requirePushedAuthorizationRequests: true,
          },
        ],
      },
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const issuer = new URL(app.oauthContext.issuer)
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure))
    auth = oauth.PrivateKeyJwt({ key: clientKey as CryptoKey, kid: 'o4w' })
  })
  afterAll(() => app.close())

  it('gets a token with PrivateKeyJwt, also while the AS accepts the issuer alone (oauth4webapi sends the issuer)', async () => {
    const res = await oauth.clientCredentialsGrantRequest(as, client, auth, { scope: 'orders:read' }, insecure)
    const body = await oauth.processClientCredentialsResponse(as, client, res)
    expect(typeof body.access_token).toBe('string')
    await app.inject({
      method: 'PUT',
      url: '/_chaos/assertion-audience',
      headers: { authorization: 'Bearer admin-token-for-tests', 'content-type': 'application/json' },
      payload: { audience: 'issuer' },
    })
    try {
      const again = await oauth.clientCredentialsGrantRequest(as, client, auth, { scope: 'orders:read' }, insecure)
      expect(again.status).toBe(200)
      const toTokenEndpoint = oauth.PrivateKeyJwt(
        { key: clientKey as CryptoKey, kid: 'o4w' },
        {
          [oauth.modifyAssertion]: (_h, payload) => {
            payload.aud = as.token_endpoint
          },
        },
      )
      const refused = await oauth.clientCredentialsGrantRequest(as, client, toTokenEndpoint, {}, insecure)
      expect(refused.status).toBe(401)
      expect(((await refused.json()) as { error: string }).error).toBe('invalid_client')
    } finally {
      await app.inject({
        method: 'POST',
        url: '/_chaos/reset',
        headers: { authorization: 'Bearer admin-token-for-tests' },
      })
    }
  })

  it('has the same assertion refused when replayed, and an expired one refused', async () => {
    let body = ''
    const capture = {
      ...insecure,
      [oauth.customFetch]: (url: string, init: RequestInit) => {
        body = String(init.body)
        return fetch(url, init)
      },
    }
    expect((await oauth.clientCredentialsGrantRequest(as, client, auth, {}, capture)).status).toBe(200)
    expect(new URLSearchParams(body).get('client_assertion_type')).toBe(CLIENT_ASSERTION_TYPE)
    const replay = await fetch(as.token_endpoint!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    })
    expect(replay.status).toBe(401)
    expect(((await replay.json()) as { error_description: string }).error_description).toMatch(/already used/)
    const late: oauth.Client = { client_id: 'pkj', [oauth.clockSkew]: -3600 }
    const expired = await oauth.clientCredentialsGrantRequest(as, late, auth, {}, insecure)
    expect(expired.status).toBe(401)
    expect(await expired.json()).toMatchObject({
      error: 'invalid_client',
      error_description: expect.stringMatching(/expired/),
    })
  })

  it('pushes with pushedAuthorizationRequest, logs in with the request_uri once, and redeems the code', async () => {
    const verifier = oauth.generateRandomCodeVerifier()
    const state = oauth.generateRandomState()
    const params = {
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: 'orders:read',
      state,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }
    const pushed = await oauth.processPushedAuthorizationResponse(
      as,
      client,
      await oauth.pushedAuthorizationRequest(as, client, auth, params, insecure),
    )
    expect(pushed.expires_in).toBeLessThan(600)
    const { location } = await injectAuthorize(app, { client_id: 'pkj', request_uri: pushed.request_uri })
    expect(location, 'login with the request_uri').toBeDefined()
    const callback = oauth.validateAuthResponse(as, client, location!, state)
    const res = await oauth.authorizationCodeGrantRequest(as, client, auth, callback, REDIRECT, verifier, insecure)
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, res)
    expect(typeof tokens.access_token).toBe('string')
    const reused = await app.inject({
      method: 'GET',
      url: `/authorize?${new URLSearchParams({ client_id: 'pkj', request_uri: pushed.request_uri })}`,
    })
    expect(reused.statusCode).toBe(400)
    expect(reused.body).toMatch(/already used/)
  })

  it('refuses an expired request_uri and the PAR-required client without PAR', async () => {
    const pushed = await oauth.processPushedAuthorizationResponse(
      as,
      client,
      await oauth.pushedAuthorizationRequest(
        as,
        client,
        auth,
        {
          response_type: 'code',
          redirect_uri: REDIRECT,
          code_challenge: 'x'.repeat(43),
          code_challenge_method: 'S256',
        },
        insecure,
      ),
    )
    // the base clock moves past the request_uri's 2 s lifetime (assertions are not checked on this request)
    shiftMs = 5_000
    try {
      const expired = await app.inject({
        method: 'GET',
        url: `/authorize?${new URLSearchParams({ client_id: 'pkj', request_uri: pushed.request_uri })}`,
      })
      expect(expired.statusCode).toBe(400)
      expect(expired.body).toMatch(/expired/)
    } finally {
      shiftMs = 0
    }
    const direct = await app.inject({
      method: 'GET',
      url: `/authorize?${new URLSearchParams({ response_type: 'code', client_id: 'pkj', redirect_uri: REDIRECT, code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' })}`,
    })
    expect(direct.statusCode).toBe(400)
    expect(direct.body).toMatch(/must push/)
    expect(json(await app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' }))).toMatchObject({
      pushed_authorization_request_endpoint: `${app.oauthContext.issuer}/par`,
    })
  })
})
