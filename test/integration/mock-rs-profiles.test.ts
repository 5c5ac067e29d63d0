/**
 * The behaviour that tells each profile apart, against a fixture AS whose
 * JWKS and introspection answers the test controls, with an injected clock
 * (no sleeps: cache ages and cooldowns move with `t`).
 */
import type { FastifyInstance } from 'fastify'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { buildResourceServer, type ResourceServerOptions } from '../../mock-rs/app.ts'
import { type FixtureAs, startFixtureAs } from '../../mock-rs/fixture-as.ts'

let t = Date.UTC(2026, 0, 1)
const now = () => t
const advance = (seconds: number) => {
  t += seconds * 1000
}
let as: FixtureAs
const apps: FastifyInstance[] = []
const ADMIN = 'profiles-admin-token'

beforeAll(async () => {
  as = await startFixtureAs({ now })
})
afterEach(() => {
  as.setJwksStatus(null)
  as.setJwksDelayMs(0)
  as.setIntrospectionFailure(null)
  as.setIntrospectionDelayMs(0)
})
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()))
  await as.close()
})

async function rs(options: Partial<ResourceServerOptions>): Promise<FastifyInstance> {
  const app = await buildResourceServer({
    issuer: as.issuer,
    now,
    adminToken: ADMIN,
    introspectionClient: as.client,
    ...options,
  })
  apps.push(app)
  return app
}

async function call(
  app: FastifyInstance,
  token: string,
): Promise<{ status: number; reason?: string; retryAfter?: string }> {
  const res = await app.inject({ method: 'GET', url: '/api/orders', headers: { authorization: `Bearer ${token}` } })
  const out: { status: number; reason?: string; retryAfter?: string } = { status: res.statusCode }
  if (res.statusCode !== 200) out.reason = res.json().error_description
  if (res.headers['retry-after']) out.retryAfter = String(res.headers['retry-after'])
  return out
}

interface Stats {
  jwksFetches: { byCause: Record<string, number> }
  kids: string[]
  failOpenAcceptances: number
  validations: Record<string, unknown>
  cacheHits: { introspection: number; jwks: number }
}

async function stats(app: FastifyInstance): Promise<Stats> {
  return (
    await app.inject({ method: 'GET', url: '/_control/stats', headers: { authorization: `Bearer ${ADMIN}` } })
  ).json()
}

async function events(app: FastifyInstance): Promise<Array<{ type: string; data?: Record<string, unknown> }>> {
  return (
    await app.inject({ method: 'GET', url: '/_control/events?since=0', headers: { authorization: `Bearer ${ADMIN}` } })
  ).json().events
}

describe('mock-rs profiles after a sign-before-publish rotation', () => {
  it('resilient accepts the new kid within its cooldown; fixed-ttl rejects until its cache expires; jose-defaults waits 30 s', async () => {
    const t0 = t
    const resilient = await rs({ profile: 'resilient' })
    const fixed = await rs({ profile: 'fixed-ttl' })
    const jose = await rs({ profile: 'jose-defaults' })
    const oldKid = as.signingKid
    const newKid = await as.rotate({ publish: false })

    advance(6)
    expect(await call(resilient, await as.mint())).toEqual({ status: 401, reason: 'unknown_kid' })
    expect(await call(fixed, await as.mint())).toEqual({ status: 401, reason: 'unknown_kid' })
    expect(await call(jose, await as.mint())).toEqual({ status: 401, reason: 'unknown_kid' })
    // tokens of the old key still pass everywhere
    expect((await call(fixed, await as.mint({ kid: oldKid }))).status).toBe(200)

    as.publish(newKid)
    advance(2)
    // inside the 5 s cooldown: no refetch yet
    expect((await call(resilient, await as.mint())).reason).toBe('unknown_kid')
    advance(4)
    expect((await call(resilient, await as.mint())).status).toBe(200)
    const rStats = await stats(resilient)
    expect(rStats.jwksFetches.byCause).toEqual({ startup: 1, unknown_kid: 2 })
    expect(rStats.kids).toContain(newKid)
    const fetched = (await events(resilient)).filter((e) => e.type === 'jwks.fetched').map((e) => e.data?.cause)
    expect(fetched).toEqual(['startup', 'unknown_kid', 'unknown_kid'])

    expect((await call(jose, await as.mint())).reason).toBe('unknown_kid')
    t = t0 + 31_000
    expect((await call(jose, await as.mint())).status).toBe(200)

    t = t0 + 14 * 60_000
    expect((await call(fixed, await as.mint())).reason).toBe('unknown_kid')
    expect((await stats(fixed)).jwksFetches.byCause).toEqual({ startup: 1 })
    t = t0 + 15 * 60_000 + 1000
    expect((await call(fixed, await as.mint())).status).toBe(200)
    expect((await stats(fixed)).jwksFetches.byCause).toEqual({ startup: 1, expiry: 1 })
  })

  it('fixed-ttl recovers as soon as a shortened max age passes (knob override)', async () => {
    const fixed = await rs({ profile: 'fixed-ttl', knobs: { jwksCacheMaxAge: '20s' } })
    await as.rotate({ publish: true })
    expect((await call(fixed, await as.mint())).reason).toBe('unknown_kid')
    advance(21)
    expect((await call(fixed, await as.mint())).status).toBe(200)
  })

  it('fetches the key set once for a burst of requests (single-flight)', async () => {
    const resilient = await rs({ profile: 'resilient' })
    advance(5 * 60 + 1)
    as.setJwksDelayMs(100)
    const before = as.counts.jwks
    const token = await as.mint()
    const results = await Promise.all(Array.from({ length: 10 }, () => call(resilient, token)))
    expect(results.every((r) => r.status === 200)).toBe(true)
    expect(as.counts.jwks - before).toBe(1)
  })
})

describe('mock-rs profiles when the JWKS fails', () => {
  it('resilient serves the stale key set; jose-defaults answers 401 validator_unavailable', async () => {
    const resilient = await rs({ profile: 'resilient' })
    const jose = await rs({ profile: 'jose-defaults' })
    advance(11 * 60)
    as.setJwksStatus(503)
    expect((await call(resilient, await as.mint())).status).toBe(200)
    expect(await call(jose, await as.mint())).toEqual({ status: 401, reason: 'validator_unavailable' })
    const failed = (await events(resilient)).find((e) => e.type === 'jwks.fetch_failed')
    expect(failed?.data).toMatchObject({ cause: 'expiry', staleServed: true })
  })

  it('resilient honours a JWKS Retry-After; jose-defaults keeps fetching', async () => {
    const resilient = await rs({ profile: 'resilient' })
    const jose = await rs({ profile: 'jose-defaults' })
    const kid = await as.rotate({ publish: false })
    advance(31)
    as.setJwksStatus(429, '20')
    const before = as.counts.jwks
    for (let i = 0; i < 3; i++) {
      const r = await call(resilient, await as.mint())
      expect(r.status).toBe(503)
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(2)
      expect((await call(jose, await as.mint())).reason).toBe('validator_unavailable')
      advance(2)
    }
    // resilient asked once, then waited; jose-defaults asked again after each 1 s back-off
    expect(as.counts.jwks - before).toBe(4)
    expect((await stats(resilient)).jwksFetches.byCause).toEqual({ startup: 1, unknown_kid: 1 })
    as.publish(kid)
  })

  it('gives up after the fetch timeout and answers 503 with Retry-After', async () => {
    as.setJwksDelayMs(2000)
    const started = Date.now()
    const resilient = await rs({ profile: 'resilient', knobs: { fetchTimeout: '200ms' } })
    const r = await call(resilient, await as.mint())
    expect(r.status).toBe(503)
    expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1)
    expect(Date.now() - started).toBeLessThan(1800)
    expect((await events(resilient)).find((e) => e.type === 'jwks.fetch_failed')?.data?.error).toMatch(/timeout/)
  })
})

describe('mock-rs strict-clock profile', () => {
  it('rejects a token a few seconds early or late where resilient accepts', async () => {
    const resilient = await rs({ profile: 'resilient' })
    const strict = await rs({ profile: 'strict-clock' })
    const early = await as.mint({ iatOffset: 5, nbfOffset: 5 })
    const late = await as.mint({ iatOffset: -305 })
    expect((await call(resilient, early)).status).toBe(200)
    expect((await call(resilient, late)).status).toBe(200)
    expect(await call(strict, early)).toEqual({ status: 401, reason: 'not_yet_valid' })
    expect(await call(strict, late)).toEqual({ status: 401, reason: 'expired' })
    // beyond the 30 s tolerance resilient rejects too
    expect((await call(resilient, await as.mint({ nbfOffset: 60 }))).reason).toBe('not_yet_valid')
  })
})

describe('mock-rs introspection profiles', () => {
  it('fail-open returns 200 while introspection answers 429; resilient returns 503 and honours Retry-After', async () => {
    const failOpen = await rs({ profile: 'fail-open' })
    const resilient = await rs({ profile: 'resilient', knobs: { mode: 'introspection' } })
    const naive = await rs({ profile: 'no-introspection-cache' })
    as.setIntrospectionFailure({ status: 429, retryAfter: '2' })
    const token = await as.mint()

    expect((await call(failOpen, token)).status).toBe(200)
    const s = await stats(failOpen)
    expect(s.failOpenAcceptances).toBe(1)
    expect(s.validations.fail_open).toEqual({ validator_unavailable: 1 })
    const accepted = (await events(failOpen)).find((e) => e.type === 'fail_open.accepted')
    expect(accepted?.data?.jti).toMatch(/^[0-9a-f]{16}$/)

    const before = as.counts.introspection
    expect(await call(resilient, token)).toEqual({ status: 503, reason: 'validator_unavailable', retryAfter: '2' })
    expect((await call(resilient, token)).status).toBe(503)
    expect(as.counts.introspection - before).toBe(1)
    advance(3)
    as.setIntrospectionFailure(null)
    expect((await call(resilient, token)).status).toBe(200)

    as.setIntrospectionFailure({ status: 429, retryAfter: '2' })
    const fresh = await as.mint()
    const mid = as.counts.introspection
    expect(await call(naive, fresh)).toEqual({ status: 401, reason: 'validator_unavailable' })
    expect(await call(naive, fresh)).toEqual({ status: 401, reason: 'validator_unavailable' })
    expect(as.counts.introspection - mid).toBe(2)
  })

  it('long-introspection-cache keeps accepting a revoked token; no-introspection-cache rejects right away', async () => {
    const long = await rs({ profile: 'long-introspection-cache' })
    const none = await rs({ profile: 'no-introspection-cache' })
    const token = as.mintOpaque({ exp: Math.floor(t / 1000) + 120 })
    expect((await call(long, token)).status).toBe(200)
    expect((await call(none, token)).status).toBe(200)
    as.revoke(token)
    advance(60)
    expect((await call(long, token)).status).toBe(200)
    expect(await call(none, token)).toEqual({ status: 401, reason: 'inactive' })
    expect((await stats(long)).cacheHits.introspection).toBe(1)
    // the cache never outlives exp, even with a 5 min TTL
    advance(61)
    expect(await call(long, token)).toEqual({ status: 401, reason: 'inactive' })
  })

  it('coalesces identical introspections and caches active:false only where configured', async () => {
    const resilient = await rs({ profile: 'resilient', knobs: { mode: 'introspection' } })
    const none = await rs({ profile: 'no-introspection-cache' })
    as.setIntrospectionDelayMs(100)
    const token = as.mintOpaque()
    let before = as.counts.introspection
    await Promise.all(Array.from({ length: 5 }, () => call(resilient, token)))
    expect(as.counts.introspection - before).toBe(1)
    before = as.counts.introspection
    await Promise.all(Array.from({ length: 5 }, () => call(none, token)))
    expect(as.counts.introspection - before).toBe(5)

    as.setIntrospectionDelayMs(0)
    const unknown = 'never-issued-opaque-token'
    before = as.counts.introspection
    expect((await call(resilient, unknown)).reason).toBe('inactive')
    expect((await call(resilient, unknown)).reason).toBe('inactive')
    expect(as.counts.introspection - before).toBe(1)
  })

  it('checks aud and scope from the introspection answer', async () => {
    const resilient = await rs({ profile: 'no-introspection-cache' })
    expect((await call(resilient, as.mintOpaque({ aud: 'https://other.example' }))).reason).toBe('wrong_aud')
    expect((await call(resilient, as.mintOpaque({ scope: 'profile' }))).status).toBe(403)
  })

  it('treats an AS refusing the RS credentials as validator unavailable (503), not as an invalid token', async () => {
    const wrong = await rs({
      profile: 'resilient',
      knobs: { mode: 'introspection' },
      introspectionClient: { clientId: 'rs', clientSecret: 'wrong-secret' },
    })
    expect(await call(wrong, as.mintOpaque())).toMatchObject({ status: 503, reason: 'validator_unavailable' })
  })
})
