/**
 * The weak DPoP profiles (detection-matrix rows) over real HTTP with real
 * DPoP-bound tokens from mock-as: `dpop-as-bearer` accepts a bound token
 * with another key's proof and as bearer (the gateway downgrade, RFC 9449
 * §7.2), `dpop-no-replay-cache` accepts a replayed proof (§11.1); the
 * resilient profile refuses all three, and both weak profiles still serve
 * an honest DPoP request.
 */
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildAuthorizationServer } from '../mock-as/app.ts'
import { createDpopProof, type DpopKey, generateDpopKey } from '../src/oauth/dpop.ts'
import { parseBearerChallenge } from '../src/oauth/bearer-challenge.ts'
import { buildResourceServer } from './app.ts'
import type { ProfileName } from './options.ts'

let asApp: FastifyInstance
const rss = new Map<ProfileName, { app: FastifyInstance; url: string }>()
const honest = generateDpopKey()

async function boundToken(k: DpopKey): Promise<string> {
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

async function call(profile: ProfileName, authorization: string, dpop?: string) {
  const { url } = rss.get(profile)!
  const res = await fetch(url, { headers: { authorization, ...(dpop ? { dpop } : {}) } })
  return { status: res.status, error: parseBearerChallenge(res.headers.get('www-authenticate')).error }
}

const proofFor = (profile: ProfileName, key: DpopKey, token: string, ageSeconds = 0) =>
  createDpopProof({
    key,
    htm: 'GET',
    htu: rss.get(profile)!.url,
    accessToken: token,
    ...(ageSeconds ? { iat: Math.floor(Date.now() / 1000) - ageSeconds } : {}),
  })

beforeAll(async () => {
  asApp = await buildAuthorizationServer({ logger: false })
  await asApp.listen({ port: 0, host: '127.0.0.1' })
  for (const profile of ['resilient', 'dpop-as-bearer', 'dpop-no-replay-cache', 'dpop-strict-clock'] as const) {
    const app = await buildResourceServer({ issuer: asApp.oauthContext.issuer, profile })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const addr = app.server.address() as { port: number }
    rss.set(profile, { app, url: `http://127.0.0.1:${addr.port}/api/orders` })
  }
})
afterAll(async () => {
  await Promise.all([...rss.values()].map((r) => r.app.close()))
  await asApp.close()
})

describe('weak DPoP profiles', () => {
  it.each(['resilient', 'dpop-as-bearer', 'dpop-no-replay-cache', 'dpop-strict-clock'] as const)(
    '%s serves an honest DPoP request with a fresh proof',
    async (profile) => {
      const token = await boundToken(honest)
      expect((await call(profile, `DPoP ${token}`, proofFor(profile, honest, token))).status).toBe(200)
    },
  )

  it('dpop-as-bearer accepts a bound token with a thief key proof, with no proof, and as bearer; resilient refuses each', async () => {
    const token = await boundToken(honest)
    const thief = generateDpopKey()
    const weak = [
      (await call('dpop-as-bearer', `DPoP ${token}`, proofFor('dpop-as-bearer', thief, token))).status,
      (await call('dpop-as-bearer', `DPoP ${token}`)).status,
      (await call('dpop-as-bearer', `Bearer ${token}`)).status,
    ]
    expect(weak).toEqual([200, 200, 200])
    expect(await call('resilient', `DPoP ${token}`, proofFor('resilient', thief, token))).toEqual({
      status: 401,
      error: 'invalid_dpop_proof',
    })
    expect(await call('resilient', `Bearer ${token}`)).toEqual({ status: 401, error: 'invalid_token' })
  })

  it('dpop-no-replay-cache accepts the same proof twice but still checks the key binding; resilient refuses the replay', async () => {
    const token = await boundToken(honest)
    const proof = proofFor('dpop-no-replay-cache', honest, token)
    expect((await call('dpop-no-replay-cache', `DPoP ${token}`, proof)).status).toBe(200)
    expect((await call('dpop-no-replay-cache', `DPoP ${token}`, proof)).status).toBe(200)
    const thief = generateDpopKey()
    expect(await call('dpop-no-replay-cache', `DPoP ${token}`, proofFor('dpop-no-replay-cache', thief, token))).toEqual(
      { status: 401, error: 'invalid_dpop_proof' },
    )
    expect((await call('dpop-no-replay-cache', `Bearer ${token}`)).status).toBe(401)
    const again = proofFor('resilient', honest, token)
    expect((await call('resilient', `DPoP ${token}`, again)).status).toBe(200)
    expect(await call('resilient', `DPoP ${token}`, again)).toEqual({ status: 401, error: 'invalid_dpop_proof' })
  })

  it('dpop-strict-clock refuses a proof 10 s old or 10 s early that resilient accepts when old, and takes one 3 s off', async () => {
    const token = await boundToken(honest)
    expect(await call('dpop-strict-clock', `DPoP ${token}`, proofFor('dpop-strict-clock', honest, token, 10))).toEqual({
      status: 401,
      error: 'invalid_dpop_proof',
    })
    expect(await call('dpop-strict-clock', `DPoP ${token}`, proofFor('dpop-strict-clock', honest, token, -10))).toEqual(
      { status: 401, error: 'invalid_dpop_proof' },
    )
    expect(
      (await call('dpop-strict-clock', `DPoP ${token}`, proofFor('dpop-strict-clock', honest, token, 3))).status,
    ).toBe(200)
    expect((await call('resilient', `DPoP ${token}`, proofFor('resilient', honest, token, 30))).status).toBe(200)
    expect(await call('resilient', `DPoP ${token}`, proofFor('resilient', honest, token, 90))).toEqual({
      status: 401,
      error: 'invalid_dpop_proof',
    })
  })
})
