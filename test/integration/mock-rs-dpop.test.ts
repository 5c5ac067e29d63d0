/**
 * mock-rs's DPoP gate (RFC 9449 §7, §9) against a real mock-as: what the
 * resilient profile checks beyond the interop suite (ath, htu without the
 * query, RS nonces through the control API, the counters by reason and
 * source), and that profiles with `dpop: ignore` keep their old behaviour.
 */
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildAuthorizationServer } from '../../mock-as/app.ts'
import { buildResourceServer } from '../../mock-rs/app.ts'
import { createDpopProof, type DpopKey, generateDpopKey } from '../../src/oauth/dpop.ts'
import { parseBearerChallenge } from '../../src/oauth/bearer-challenge.ts'
import { PROBE_HEADER } from '../../src/util/component/probe-traffic.ts'

const ADMIN = 'mock-rs-dpop-admin'
const HTU = 'http://localhost/api/orders'
let asApp: FastifyInstance
let resilient: FastifyInstance
let weak: FastifyInstance
const key = generateDpopKey()

async function boundToken(k: DpopKey = key): Promise<string> {
  const issuer = asApp.oauthContext.issuer
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from('svc:svc-secret').toString('base64')}`,
      dpop: createDpopProof({ key: k, htm: 'POST', htu: `${issuer}/token` }),
    },
    body: 'grant_type=client_credentials',
  })
  const body = (await res.json()) as { access_token: string; token_type: string }
  expect(body.token_type).toBe('DPoP')
  return body.access_token
}

function get(app: FastifyInstance, token: string, headers: Record<string, string> = {}, url = '/api/orders') {
  return app.inject({ url, headers: { authorization: `DPoP ${token}`, ...headers } })
}

const control = (app: FastifyInstance, body: unknown) =>
  app.inject({
    method: 'PUT',
    url: '/_control/dpop',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  })

beforeAll(async () => {
  asApp = await buildAuthorizationServer({ logger: false })
  await asApp.listen({ port: 0, host: '127.0.0.1' })
  const issuer = asApp.oauthContext.issuer
  resilient = await buildResourceServer({ issuer, profile: 'resilient', adminToken: ADMIN })
  weak = await buildResourceServer({ issuer, profile: 'fixed-ttl', adminToken: ADMIN })
})
afterAll(async () => {
  await Promise.all([resilient.close(), weak.close()])
  await asApp.close()
})

describe('mock-rs DPoP (resilient)', () => {
  it('accepts a proof whose htu has no query when the request has one', async () => {
    const token = await boundToken()
    const dpop = createDpopProof({ key, htm: 'GET', htu: HTU, accessToken: token })
    expect((await get(resilient, token, { dpop }, '/api/orders?page=2')).statusCode).toBe(200)
  })

  it('refuses a proof whose ath is the hash of another token', async () => {
    const token = await boundToken()
    const dpop = createDpopProof({ key, htm: 'GET', htu: HTU, accessToken: `${token}x` })
    const res = await get(resilient, token, { dpop })
    expect(res.statusCode).toBe(401)
    expect(String(res.headers['www-authenticate'])).toMatch(/^DPoP /)
    expect(parseBearerChallenge(String(res.headers['www-authenticate']))).toMatchObject({
      error: 'invalid_dpop_proof',
      algs: 'ES256 ES384 EdDSA RS256 PS256',
    })
  })

  it('answers hostile proofs with 401 invalid_dpop_proof, never a 500', async () => {
    const token = await boundToken()
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
    const claims = enc({ jti: 'x', htm: 'GET', htu: HTU, iat: Math.floor(Date.now() / 1000) })
    const values = [
      ...[
        null,
        { typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' } },
        { typ: 'dpop+jwt', alg: 'RS256', jwk: { kty: 'RSA', n: 'AQAB', e: 'AQAB' } },
        { typ: 'dpop+jwt', alg: 'HS256', jwk: { kty: 'oct', k: 'AAAA' } },
        { typ: 'dpop+jwt', alg: 'ES256', jwk: { ...key.publicJwk, d: 'AAAA' } },
      ].map((h) => `${enc(h)}.${claims}.AAAA`),
      `${'a'.repeat(9000)}.b.c`,
      '..',
    ]
    for (const dpop of values) {
      const res = await get(resilient, token, { dpop })
      expect([
        dpop.slice(0, 60),
        res.statusCode,
        parseBearerChallenge(String(res.headers['www-authenticate'])).error,
      ]).toEqual([dpop.slice(0, 60), 401, 'invalid_dpop_proof'])
    }
  })

  it('refuses the DPoP scheme without a proof, and with a bearer token that is not bound', async () => {
    const token = await boundToken()
    const res = await get(resilient, token)
    expect(parseBearerChallenge(String(res.headers['www-authenticate'])).error).toBe('invalid_dpop_proof')
    const issuer = asApp.oauthContext.issuer
    const plain = (await (
      await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from('svc:svc-secret').toString('base64')}`,
        },
        body: 'grant_type=client_credentials',
      })
    ).json()) as { access_token: string }
    const unbound = await get(resilient, plain.access_token, {
      dpop: createDpopProof({ key, htm: 'GET', htu: HTU, accessToken: plain.access_token }),
    })
    expect([unbound.statusCode, parseBearerChallenge(String(unbound.headers['www-authenticate'])).error]).toEqual([
      401,
      'invalid_token',
    ])
  })

  it('asks for an RS nonce once turned on through /_control/dpop, and accepts the one it gave', async () => {
    expect((await control(resilient, { nonceRequired: true })).statusCode).toBe(200)
    try {
      const token = await boundToken()
      const first = await get(resilient, token, {
        dpop: createDpopProof({ key, htm: 'GET', htu: HTU, accessToken: token }),
      })
      expect(first.statusCode).toBe(401)
      expect(parseBearerChallenge(String(first.headers['www-authenticate'])).error).toBe('use_dpop_nonce')
      const nonce = String(first.headers['dpop-nonce'])
      const retry = await get(resilient, token, {
        dpop: createDpopProof({ key, htm: 'GET', htu: HTU, accessToken: token, nonce }),
      })
      expect(retry.statusCode).toBe(200)
      expect(retry.headers['dpop-nonce']).toBe(nonce)
    } finally {
      await control(resilient, { nonceRequired: false })
    }
    expect((await control(resilient, { nonceRequired: 'yes' })).statusCode).toBe(400)
  })

  it('counts refusals by reason and source in rs_dpop_rejections_total and the stats', async () => {
    await resilient.inject({ method: 'POST', url: '/_control/reset', headers: { authorization: `Bearer ${ADMIN}` } })
    const token = await boundToken()
    const dpop = createDpopProof({ key, htm: 'GET', htu: HTU, accessToken: token })
    expect((await get(resilient, token, { dpop })).statusCode).toBe(200)
    expect((await get(resilient, token, { dpop })).statusCode).toBe(401)
    const thief = createDpopProof({ key: generateDpopKey(), htm: 'GET', htu: HTU, accessToken: token })
    expect((await get(resilient, token, { dpop: thief, [PROBE_HEADER]: 'dpop-test' })).statusCode).toBe(401)
    const metrics = (await resilient.inject({ url: '/metrics' })).body
    expect(metrics).toMatch(/rs_dpop_rejections_total\{reason="replay",source="load"\} 1/)
    expect(metrics).toMatch(/rs_dpop_rejections_total\{reason="jkt",source="probe"\} 1/)
    expect(metrics).toMatch(/rs_validations_total\{outcome="rejected",reason="dpop",source="load"\} 1/)
    const stats = (
      await resilient.inject({ url: '/_control/stats', headers: { authorization: `Bearer ${ADMIN}` } })
    ).json() as Record<string, unknown>
    expect(stats.dpopRejections).toEqual({ replay: 1 })
    expect(stats.probeDpopRejections).toEqual({ jkt: 1 })
  })
})

describe('mock-rs DPoP (a profile with dpop: ignore)', () => {
  it('keeps its behaviour: the DPoP scheme carries no credentials, a bound token passes as bearer', async () => {
    const token = await boundToken()
    const dpop = createDpopProof({ key, htm: 'GET', htu: HTU, accessToken: token })
    const viaDpop = await get(weak, token, { dpop })
    expect(viaDpop.statusCode).toBe(401)
    expect(parseBearerChallenge(String(viaDpop.headers['www-authenticate'])).error).toBeUndefined()
    const asBearer = await weak.inject({ url: '/api/orders', headers: { authorization: `Bearer ${token}` } })
    expect(asBearer.statusCode).toBe(200)
    expect((await control(weak, { nonceRequired: true })).statusCode).toBe(409)
  })
})
