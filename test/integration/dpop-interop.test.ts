/**
 * DPoP (RFC 9449) against a client nobody here wrote: oauth4webapi (a
 * certified client library) gets bound tokens from a real mock-as on
 * loopback and calls resilient mock-rs instances (JWT and introspection
 * mode) with its own proofs. Every abuse is made by oauth4webapi too (its
 * `modifyAssertion` hook, or a proof it sent, captured and replayed), and
 * each must be refused with a `WWW-Authenticate: DPoP` challenge. The
 * tokens themselves are checked with jose against the published JWKS.
 */
import type { FastifyInstance } from 'fastify'
import { calculateJwkThumbprint, createRemoteJWKSet, jwtVerify } from 'jose'
import * as oauth from 'oauth4webapi'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildAuthorizationServer } from '../../mock-as/app.ts'
import { createAsControl } from '../../mock-as/client.ts'
import { authorize, pkce } from '../../mock-as/testing.ts'
import { buildResourceServer } from '../../mock-rs/app.ts'
import { createRsControl } from '../../mock-rs/client.ts'
import { parseBearerChallenge } from '../../src/oauth/bearer-challenge.ts'

const ADMIN = 'dpop-interop-admin'
const REDIRECT = 'http://127.0.0.1:5173/cb'
const insecure = { [oauth.allowInsecureRequests]: true } as const

let asApp: FastifyInstance
let issuer: string
let as: oauth.AuthorizationServer
const rsApps: FastifyInstance[] = []
const rsUrl: Record<'jwt' | 'jwtOther' | 'introspection', string> = { jwt: '', jwtOther: '', introspection: '' }

const svc: oauth.Client = { client_id: 'svc' }
const svcAuth = oauth.ClientSecretBasic('svc-secret')

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const addr = app.server.address() as { port: number }
  return `http://127.0.0.1:${addr.port}`
}

beforeAll(async () => {
  asApp = await buildAuthorizationServer({ adminToken: ADMIN, logger: false })
  issuer = await listen(asApp)
  as = await oauth.processDiscoveryResponse(new URL(issuer), await oauth.discoveryRequest(new URL(issuer), insecure))
  for (const [name, mode] of [
    ['jwt', 'jwt'],
    ['jwtOther', 'jwt'],
    ['introspection', 'introspection'],
  ] as const) {
    const app = await buildResourceServer({
      issuer,
      profile: 'resilient',
      knobs: { mode },
      adminToken: ADMIN,
      name,
    })
    rsApps.push(app)
    rsUrl[name] = await listen(app)
  }
})
afterAll(async () => {
  await Promise.all(rsApps.map((a) => a.close()))
  await asApp.close()
})

async function dpopToken(DPoP: oauth.DPoPHandle): Promise<oauth.TokenEndpointResponse> {
  const res = await oauth.clientCredentialsGrantRequest(
    as,
    svc,
    svcAuth,
    new URLSearchParams({ scope: 'orders:read' }),
    {
      DPoP,
      ...insecure,
    },
  )
  return oauth.processClientCredentialsResponse(as, svc, res)
}

function orders(rs: string): URL {
  return new URL(`${rs}/api/orders`)
}

/** Call the RS; a refusal comes back as its parsed challenges (oauth4webapi's WWWAuthenticateChallengeError). */
async function call(
  token: string,
  url: URL,
  options: { DPoP?: oauth.DPoPHandle; method?: string } = {},
): Promise<{ status: number; challenge?: oauth.WWWAuthenticateChallenge }> {
  try {
    const res = await oauth.protectedResourceRequest(token, options.method ?? 'GET', url, undefined, undefined, {
      ...(options.DPoP ? { DPoP: options.DPoP } : {}),
      ...insecure,
    })
    return { status: res.status }
  } catch (err) {
    if (!(err instanceof oauth.WWWAuthenticateChallengeError)) throw err
    const challenge = err.cause.find((c) => c.scheme === 'dpop')
    return { status: err.status, ...(challenge ? { challenge } : {}) }
  }
}

async function keyPair(): Promise<CryptoKeyPair> {
  return oauth.generateKeyPair('ES256', { extractable: true })
}

describe('DPoP interop: oauth4webapi against mock-as and the resilient mock-rs', () => {
  it('gets a DPoP-bound token whose cnf.jkt is the thumbprint of its key (checked with jose)', async () => {
    const keys = await keyPair()
    const token = await dpopToken(oauth.DPoP(svc, keys))
    expect(token.token_type).toBe('dpop')
    const jkt = await calculateJwkThumbprint(await crypto.subtle.exportKey('jwk', keys.publicKey))
    const { payload } = await jwtVerify(token.access_token, createRemoteJWKSet(new URL(`${issuer}/jwks`)), {
      issuer,
      typ: 'at+jwt',
    })
    expect(payload.cnf).toEqual({ jkt })
  })

  it('is accepted by the resilient RS, JWT and introspection mode, with a valid proof', async () => {
    const DPoP = oauth.DPoP(svc, await keyPair())
    const token = await dpopToken(DPoP)
    for (const rs of [rsUrl.jwt, rsUrl.introspection]) {
      expect(await call(token.access_token, orders(rs), { DPoP }), rs).toEqual({ status: 200 })
      // a second call makes a second proof: a fresh jti is no replay
      expect(await call(token.access_token, orders(rs), { DPoP }), rs).toEqual({ status: 200 })
    }
  })

  it('refuses a stolen token used with a proof of another key, in both modes', async () => {
    const token = await dpopToken(oauth.DPoP(svc, await keyPair()))
    const thief = oauth.DPoP(svc, await keyPair())
    for (const rs of [rsUrl.jwt, rsUrl.introspection]) {
      const r = await call(token.access_token, orders(rs), { DPoP: thief })
      expect([rs, r.status, r.challenge?.parameters.error]).toEqual([rs, 401, 'invalid_dpop_proof'])
      expect(r.challenge?.parameters.algs).toContain('ES256')
    }
  })

  it('refuses a bearer-downgraded use of a DPoP-bound token with a DPoP challenge', async () => {
    const token = await dpopToken(oauth.DPoP(svc, await keyPair()))
    for (const rs of [rsUrl.jwt, rsUrl.introspection]) {
      const r = await call(token.access_token, orders(rs))
      expect([rs, r.status, r.challenge?.parameters.error]).toEqual([rs, 401, 'invalid_token'])
    }
  })

  it('refuses a replayed proof', async () => {
    const keys = await keyPair()
    const DPoP = oauth.DPoP(svc, keys)
    const token = await dpopToken(DPoP)
    let captured: string | undefined
    const res = await oauth.protectedResourceRequest(
      token.access_token,
      'GET',
      orders(rsUrl.jwt),
      undefined,
      undefined,
      {
        DPoP,
        ...insecure,
        [oauth.customFetch]: (url, init) => {
          captured = new Headers(init.headers).get('dpop') ?? undefined
          return fetch(url, init as RequestInit)
        },
      },
    )
    expect(res.status).toBe(200)
    const replay = await fetch(orders(rsUrl.jwt), {
      headers: { authorization: `DPoP ${token.access_token}`, dpop: captured! },
    })
    expect(replay.status).toBe(401)
    const header = replay.headers.get('www-authenticate') ?? ''
    expect(header).toMatch(/^DPoP /)
    expect(parseBearerChallenge(header)).toMatchObject({ error: 'invalid_dpop_proof' })
    expect(parseBearerChallenge(header).error_description).toMatch(/jti/)
  })

  it('refuses mis-targeted proofs (another RS, another method) and a proof 10 minutes old', async () => {
    const keys = await keyPair()
    const token = await dpopToken(oauth.DPoP(svc, keys))
    const modified = (change: (payload: Record<string, unknown>) => void) =>
      oauth.DPoP(svc, keys, { [oauth.modifyAssertion]: (_h: unknown, p: Record<string, unknown>) => change(p) })
    const cases: Array<[string, oauth.DPoPHandle, RegExp]> = [
      ['htu', modified((p) => (p.htu = `${rsUrl.jwtOther}/api/orders`)), /htu/],
      ['htm', modified((p) => (p.htm = 'POST')), /htm/],
      ['stale iat', modified((p) => (p.iat = Number(p.iat) - 600)), /iat/],
    ]
    for (const [name, DPoP, description] of cases) {
      const r = await call(token.access_token, orders(rsUrl.jwt), { DPoP })
      expect([name, r.status, r.challenge?.parameters.error]).toEqual([name, 401, 'invalid_dpop_proof'])
      expect(r.challenge?.parameters.error_description, name).toMatch(description)
    }
  })

  it('retries on use_dpop_nonce at mock-as and at the RS (RFC 9449 §8, §9) and then succeeds', async () => {
    const asControl = createAsControl(issuer, ADMIN)
    const rsControl = createRsControl(rsUrl.jwt, ADMIN, 'jwt')
    await asControl.setDpop({ nonceRequired: true })
    await rsControl.setDpop({ nonceRequired: true })
    try {
      const DPoP = oauth.DPoP(svc, await keyPair())
      let nonceErrors = 0
      let token: oauth.TokenEndpointResponse | undefined
      for (let attempt = 0; attempt < 2 && !token; attempt++) {
        try {
          token = await dpopToken(DPoP)
        } catch (err) {
          if (!oauth.isDPoPNonceError(err)) throw err
          nonceErrors++
        }
      }
      expect(nonceErrors).toBe(1)
      expect(token?.token_type).toBe('dpop')
      const first = await call(token!.access_token, orders(rsUrl.jwt), { DPoP })
      expect([first.status, first.challenge?.parameters.error]).toEqual([401, 'use_dpop_nonce'])
      expect(await call(token!.access_token, orders(rsUrl.jwt), { DPoP })).toEqual({ status: 200 })
    } finally {
      await asControl.setDpop({ nonceRequired: false })
      await rsControl.setDpop({ nonceRequired: false })
    }
  })

  it("binds a public client's refresh token to its key: oauth4webapi refreshes with it, a thief's key is refused", async () => {
    const spa: oauth.Client = { client_id: 'spa' }
    const keys = await keyPair()
    const DPoP = oauth.DPoP(spa, keys)
    const { verifier, challenge } = pkce()
    const { location } = await authorize(asApp, {
      response_type: 'code',
      client_id: 'spa',
      redirect_uri: REDIRECT,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    })
    const params = oauth.validateAuthResponse(as, spa, location!, oauth.skipStateCheck)
    const codeRes = await oauth.authorizationCodeGrantRequest(as, spa, oauth.None(), params, REDIRECT, verifier, {
      DPoP,
      ...insecure,
    })
    const tokens = await oauth.processAuthorizationCodeResponse(as, spa, codeRes)
    expect(tokens.token_type).toBe('dpop')
    const thief = oauth.DPoP(spa, await keyPair())
    const stolen = await oauth.refreshTokenGrantRequest(as, spa, oauth.None(), tokens.refresh_token!, {
      DPoP: thief,
      ...insecure,
    })
    await expect(oauth.processRefreshTokenResponse(as, spa, stolen)).rejects.toMatchObject({ error: 'invalid_grant' })
    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      spa,
      await oauth.refreshTokenGrantRequest(as, spa, oauth.None(), tokens.refresh_token!, { DPoP, ...insecure }),
    )
    expect(refreshed.token_type).toBe('dpop')
    expect(await call(refreshed.access_token, orders(rsUrl.jwt), { DPoP })).toEqual({ status: 200 })
  })
})
