/**
 * Each profile against the real reference AS (mock-as), driven through its
 * chaos API. The RS clock is the real clock plus `extra`, so cache ages and
 * cooldowns can be moved forward without sleeping; mock-as keeps real time
 * (its rotation timers are real, hence the short `unpublishedFor`).
 */
import type { FastifyInstance } from 'fastify'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createAsControl } from '../../mock-as/client.ts'
import { type ServedAs, serveAs } from '../../mock-as/main.ts'
import { buildResourceServer, type ResourceServerOptions } from '../../mock-rs/app.ts'
import type { AsControl } from '../../src/runtime/types.ts'

let extra = 0
const now = () => Date.now() + extra
let as: ServedAs
let chaos: AsControl
const apps: FastifyInstance[] = []
const ADMIN = 'mock-rs-vs-mock-as-admin'

beforeAll(async () => {
  as = await serveAs({ port: 0, adminToken: ADMIN })
  chaos = createAsControl(as.url, ADMIN)
})
afterEach(async () => {
  extra = 0
  await chaos.reset()
})
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()))
  await as.close()
})

async function rs(options: Partial<ResourceServerOptions>): Promise<FastifyInstance> {
  const app = await buildResourceServer({
    issuer: as.url,
    now,
    adminToken: ADMIN,
    introspectionClient: { clientId: 'rs', clientSecret: 'rs-secret' },
    ...options,
  })
  apps.push(app)
  return app
}

async function token(clientId = 'svc', secret = `${clientId}-secret`): Promise<string> {
  const res = await fetch(`${as.url}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
    },
    body: 'grant_type=client_credentials&scope=orders%3Aread',
  })
  expect(res.status).toBe(200)
  return ((await res.json()) as { access_token: string }).access_token
}

async function call(app: FastifyInstance, tok: string): Promise<{ status: number; reason?: string }> {
  const res = await app.inject({ method: 'GET', url: '/api/orders', headers: { authorization: `Bearer ${tok}` } })
  return res.statusCode === 200 ? { status: 200 } : { status: res.statusCode, reason: res.json().error_description }
}

async function published(kid: string): Promise<boolean> {
  const { keys } = (await (await fetch(`${as.url}/jwks`)).json()) as { keys: Array<{ kid: string }> }
  return keys.some((k) => k.kid === kid)
}

describe('mock-rs against mock-as', () => {
  it('after a sign-before-publish rotation: resilient recovers within its cooldown, jose-defaults after 30 s, fixed-ttl only when its cache expires', async () => {
    const resilient = await rs({ profile: 'resilient' })
    const jose = await rs({ profile: 'jose-defaults' })
    const fixed = await rs({ profile: 'fixed-ttl', knobs: { jwksCacheMaxAge: '40s' } })
    expect((await call(resilient, await token())).status).toBe(200)

    const { newKid } = await chaos.rotate({ mode: 'sign-before-publish', unpublishedFor: '1500ms' })
    extra = 6_000
    const during = await token()
    expect(await call(resilient, during)).toEqual({ status: 401, reason: 'unknown_kid' })
    expect(await call(jose, during)).toEqual({ status: 401, reason: 'unknown_kid' })
    expect(await call(fixed, during)).toEqual({ status: 401, reason: 'unknown_kid' })

    const deadline = Date.now() + 10_000
    while (!(await published(newKid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    expect(await published(newKid)).toBe(true)

    extra = 12_000
    const after = await token()
    expect((await call(resilient, after)).status).toBe(200)
    expect((await call(jose, after)).reason).toBe('unknown_kid')
    expect((await call(fixed, after)).reason).toBe('unknown_kid')
    extra = 31_000
    expect((await call(jose, after)).status).toBe(200)
    expect((await call(fixed, after)).reason).toBe('unknown_kid')
    extra = 41_000
    expect((await call(fixed, after)).status).toBe(200)
  })

  it('strict-clock rejects tokens from an AS 5 s ahead or a token 5 s past exp; resilient accepts both', async () => {
    const resilient = await rs({ profile: 'resilient' })
    const strict = await rs({ profile: 'strict-clock' })
    await chaos.setClockOffset(5)
    const early = await token()
    await chaos.setClockOffset(-305)
    const late = await token()
    expect((await call(resilient, early)).status).toBe(200)
    expect((await call(resilient, late)).status).toBe(200)
    expect(await call(strict, early)).toEqual({ status: 401, reason: 'not_yet_valid' })
    expect(await call(strict, late)).toEqual({ status: 401, reason: 'expired' })
  })

  it('fail-open returns 200 while introspection answers 429; resilient returns 503; no-introspection-cache 401', async () => {
    const failOpen = await rs({ profile: 'fail-open' })
    const resilient = await rs({ profile: 'resilient', knobs: { mode: 'introspection' } })
    const naive = await rs({ profile: 'no-introspection-cache' })
    const tokens = await Promise.all([1, 2, 3, 4].map(() => token('svc-opaque')))
    await chaos.setIntrospectionRateLimit({ rate: 0.01, burst: 1 })
    // the burst of one goes to the first call; everything after is 429
    expect((await call(naive, tokens[0]!)).status).toBe(200)
    expect((await call(failOpen, tokens[1]!)).status).toBe(200)
    const res = await resilient.inject({
      method: 'GET',
      url: '/api/orders',
      headers: { authorization: `Bearer ${tokens[2]}` },
    })
    expect(res.statusCode).toBe(503)
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    expect(await call(naive, tokens[3]!)).toEqual({ status: 401, reason: 'validator_unavailable' })
    const stats = (
      await failOpen.inject({ url: '/_control/stats', headers: { authorization: `Bearer ${ADMIN}` } })
    ).json()
    expect(stats.failOpenAcceptances).toBe(1)
  })

  it('long-introspection-cache keeps accepting a revoked token; no-introspection-cache rejects it at once', async () => {
    const long = await rs({ profile: 'long-introspection-cache' })
    const none = await rs({ profile: 'no-introspection-cache' })
    const tok = await token('svc-opaque')
    expect((await call(long, tok)).status).toBe(200)
    expect((await call(none, tok)).status).toBe(200)
    const { revoked } = await chaos.revoke({ clientId: 'svc-opaque' })
    expect(revoked).toBeGreaterThan(0)
    expect((await call(long, tok)).status).toBe(200)
    expect(await call(none, tok)).toEqual({ status: 401, reason: 'inactive' })
  })

  it('accepts mock-as JWTs in introspection mode too', async () => {
    const viaIntrospection = await rs({ profile: 'no-introspection-cache' })
    expect((await call(viaIntrospection, await token())).status).toBe(200)
  })
})
