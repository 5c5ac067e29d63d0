import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { buildAuthorizationServer } from '../../mock-as/app.ts'
import { createAsControl } from '../../mock-as/client.ts'
import { basic, codeFlow, decodeJwt } from '../../mock-as/testing.ts'
import { isGamedayError } from '../../src/errors.ts'
import type { AsControl } from '../../src/runtime/types.ts'

const ADMIN = 'admin-token-for-tests'
const SVC = basic('svc', 'svc-secret')
const RS = basic('rs', 'rs-secret')

describe('mock-as chaos API', () => {
  let app: FastifyInstance
  let url: string
  let as: AsControl

  async function token(
    auth = SVC,
    grant = 'client_credentials',
  ): Promise<{ status: number; body: Record<string, unknown>; ms: number; headers: Headers }> {
    const t = performance.now()
    const res = await fetch(`${url}/token`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=${grant}`,
    })
    return {
      status: res.status,
      body: (await res.json()) as Record<string, unknown>,
      ms: performance.now() - t,
      headers: res.headers,
    }
  }
  async function jwksKids(): Promise<Array<{ kid: string; alg: string }>> {
    const res = await fetch(`${url}/jwks`)
    return ((await res.json()) as { keys: Array<{ kid: string; alg: string }> }).keys.map(({ kid, alg }) => ({
      kid,
      alg,
    }))
  }
  async function introspect(t: string): Promise<Response> {
    return fetch(`${url}/introspect`, {
      method: 'POST',
      headers: { authorization: RS, 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${encodeURIComponent(t)}`,
    })
  }
  async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 5000): Promise<T> {
    const end = Date.now() + ms
    for (;;) {
      const v = await fn()
      if (ok(v) || Date.now() > end) return v
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  beforeAll(async () => {
    app = await buildAuthorizationServer({ adminToken: ADMIN, logger: false })
    await app.listen({ port: 0, host: '127.0.0.1' })
    url = app.oauthContext.issuer
    as = createAsControl(url, ADMIN)
  })
  beforeEach(async () => {
    await as.reset()
  })
  afterAll(async () => {
    await app.close()
  })

  it('derives the issuer from the listen address', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(decodeJwt(String((await token()).body.access_token)).payload.iss).toBe(url)
  })

  it('requires the admin bearer token and is off without one', async () => {
    expect((await fetch(`${url}/_chaos/state`)).status).toBe(401)
    expect((await fetch(`${url}/_chaos/state`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401)
    await expect(createAsControl(url, 'wrong').state()).rejects.toSatisfy((e) =>
      isGamedayError(e, 'ERR_CONTROL_REQUEST_FAILED'),
    )
    const off = await buildAuthorizationServer({ logger: false })
    expect((await off.inject({ url: '/_chaos/state', headers: { authorization: `Bearer ${ADMIN}` } })).statusCode).toBe(
      404,
    )
    await off.close()
  })

  it('answers bad input with 400 and a JSON error naming the field', async () => {
    const put = (path: string, body: string) =>
      fetch(`${url}${path}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body,
      })
    for (const [path, body, field] of [
      ['/_chaos/clock', '{"offsetSeconds":"x"}', 'offsetSeconds'],
      ['/_chaos/clock', 'not json', 'body'],
      ['/_chaos/token-errors', '{"status":200,"ratio":0.5}', 'status'],
      ['/_chaos/token-errors', '{"status":503,"ratio":2}', 'ratio'],
      ['/_chaos/token-latency', '{"fixedMs":-1}', 'fixedMs'],
      ['/_chaos/introspection-rate-limit', '{"rate":1}', 'burst'],
      ['/_chaos/refresh-reuse-detection', '{"enabled":"yes"}', 'enabled'],
      ['/_chaos/clock', '{"offsetSeconds":1,"bogus":1}', 'bogus'],
    ] as const) {
      const res = await put(path, body)
      expect(res.status, `${path} ${body}`).toBe(400)
      const j = (await res.json()) as { error: string; error_description: string }
      expect(j.error).toBe('invalid_request')
      expect(j.error_description).toContain(field)
    }
    await expect(as.rotate({ mode: 'nope' as never })).rejects.toThrow(/mode/)
    await expect(as.rotate({ mode: 'publish-then-sign', leadTime: '5 seconds' })).rejects.toThrow(/leadTime/)
    await expect(as.revoke({})).rejects.toThrow(/clientId or sub/)
  })

  it('rotates publish-then-sign: new key published first, signing switches after the lead time, old key retired later', async () => {
    const before = await as.state()
    const r = await as.rotate({ mode: 'publish-then-sign', leadTime: '400ms', retireAfter: '400ms' })
    expect(r.oldKid).toBe(before.signingKid)
    expect(r.signAt - r.publishAt).toBe(400)
    expect((await jwksKids()).map((k) => k.kid).sort()).toEqual([r.oldKid, r.newKid].sort())
    expect(decodeJwt(String((await token()).body.access_token)).header.kid).toBe(r.oldKid)
    const switched = await until(token, (t) => decodeJwt(String(t.body.access_token)).header.kid === r.newKid)
    expect(decodeJwt(String(switched.body.access_token)).header.kid).toBe(r.newKid)
    const retired = await until(jwksKids, (ks) => ks.length === 1)
    expect(retired.map((k) => k.kid)).toEqual([r.newKid])
    const types = (await as.poll(0)).map((e) => e.type)
    expect(types).toEqual(expect.arrayContaining(['key.published', 'signing_key.changed', 'key.retired']))
    expect(types.indexOf('key.published')).toBeLessThan(types.indexOf('signing_key.changed'))
  })

  it('rotates sign-before-publish: tokens carry a kid absent from the JWKS until it is published', async () => {
    const r = await as.rotate({ mode: 'sign-before-publish', unpublishedFor: '500ms' })
    expect(r.publishAt - r.signAt).toBe(500)
    const t = await token()
    expect(decodeJwt(String(t.body.access_token)).header.kid).toBe(r.newKid)
    expect((await jwksKids()).map((k) => k.kid)).not.toContain(r.newKid)
    const later = await until(jwksKids, (ks) => ks.some((k) => k.kid === r.newKid))
    expect(later.map((k) => k.kid)).toContain(r.newKid)
  })

  it('rotates drop-old-early: the old key leaves the JWKS while its tokens are still valid', async () => {
    const old = await token()
    const r = await as.rotate({ mode: 'drop-old-early' })
    expect(decodeJwt(String(old.body.access_token)).header.kid).toBe(r.oldKid)
    const kids = (await jwksKids()).map((k) => k.kid)
    expect(kids).toContain(r.newKid)
    expect(kids).not.toContain(r.oldKid)
    const exp = Number(decodeJwt(String(old.body.access_token)).payload.exp)
    expect(exp * 1000).toBeGreaterThan(Date.now())
    const ev = (await as.poll(0)).filter((e) => e.type === 'key.retired').at(-1)
    expect(ev?.data).toMatchObject({ kid: r.oldKid, reason: 'dropped-early' })
  })

  it('rotates wrong-alg: the token header alg differs from the alg the published key declares', async () => {
    const r = await as.rotate({ mode: 'wrong-alg' })
    const t = decodeJwt(String((await token()).body.access_token))
    expect(t.header.kid).toBe(r.newKid)
    const published = (await jwksKids()).find((k) => k.kid === r.newKid)
    expect(published).toBeDefined()
    expect(published!.alg).not.toBe(t.header.alg)
    await as.reset()
    const after = decodeJwt(String((await token()).body.access_token))
    expect(after.header.alg).toBe('ES256')
    expect((await jwksKids()).find((k) => k.kid === after.header.kid)?.alg).toBe('ES256')
  })

  it('applies the clock offset to iat/exp and to introspection checks', async () => {
    await as.setClockOffset(-3600)
    const t = await token()
    const iat = Number(decodeJwt(String(t.body.access_token)).payload.iat)
    expect(Math.abs(iat - (Math.floor(Date.now() / 1000) - 3600))).toBeLessThanOrEqual(2)
    expect(((await (await introspect(String(t.body.access_token))).json()) as { active: boolean }).active).toBe(true)
    await as.setClockOffset(3600)
    expect(await (await introspect(String(t.body.access_token))).text()).toBe('{"active":false}')
    expect((await as.state()).clockOffsetSeconds).toBe(3600)
  })

  it('adds token latency per grant type', async () => {
    await as.setTokenLatency({ grantType: 'client_credentials', fixedMs: 300, jitterMs: 50 })
    const slow = await token()
    expect(slow.status).toBe(200)
    expect(slow.ms).toBeGreaterThanOrEqual(290)
    await as.setTokenLatency({ grantType: 'refresh_token', fixedMs: 0 })
    await as.setTokenLatency({ grantType: 'client_credentials', fixedMs: 0 })
    expect((await token()).ms).toBeLessThan(290)
  })

  it('injects token errors with a status and ratio', async () => {
    await as.setTokenErrors({ status: 503, ratio: 1 })
    const t = await token()
    expect(t.status).toBe(503)
    expect(t.body.error).toBe('temporarily_unavailable')
    expect(t.headers.get('retry-after')).toBe('1')
    await as.setTokenErrors({ grantType: 'client_credentials', status: 500, ratio: 0.5 })
    await as.setTokenErrors({ status: 503, ratio: 0 })
    const statuses: number[] = []
    for (let i = 0; i < 60; i++) statuses.push((await token()).status)
    const errors = statuses.filter((s) => s === 500).length
    expect(errors).toBeGreaterThan(10)
    expect(errors).toBeLessThan(50)
    expect(statuses.every((s) => s === 200 || s === 500)).toBe(true)
  })

  it('burns CPU per token request', async () => {
    await as.setTokenCost({ cpuMs: 60 })
    const t = await token()
    expect(t.status).toBe(200)
    expect(t.ms).toBeGreaterThanOrEqual(55)
    expect((await as.state()).tokenCost).toEqual({ cpuMs: 60 })
  })

  it('rate-limits introspection with a token bucket: 429 + Retry-After', async () => {
    const t = String((await token()).body.access_token)
    await as.setIntrospectionRateLimit({ rate: 1, burst: 3 })
    const statuses: number[] = []
    let retryAfter: string | null = null
    for (let i = 0; i < 6; i++) {
      const res = await introspect(t)
      statuses.push(res.status)
      if (res.status === 429) retryAfter = res.headers.get('retry-after')
      await res.text()
    }
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200])
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(2)
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1)
    await as.setIntrospectionRateLimit(null)
    expect((await introspect(t)).status).toBe(200)
  })

  it('revokes everything of a client or of a subject', async () => {
    const svcTokens = [await token(), await token()].map((t) => String(t.body.access_token))
    const other = String((await token(basic('svc-opaque', 'svc-opaque-secret'))).body.access_token)
    const { revoked } = await as.revoke({ clientId: 'svc' })
    expect(revoked).toBeGreaterThanOrEqual(2)
    for (const t of svcTokens) expect(await (await introspect(t)).text()).toBe('{"active":false}')
    const fresh = String((await token()).body.access_token)
    expect(((await (await introspect(fresh)).json()) as { active: boolean }).active).toBe(true)
    expect(((await (await introspect(other)).json()) as { active: boolean }).active).toBe(true)
    const alice = await codeFlow(app, 'spa', 'http://127.0.0.1:5173/cb')
    const bySub = await as.revoke({ sub: 'alice' })
    expect(bySub.revoked).toBeGreaterThanOrEqual(2)
    expect(await (await introspect(String(alice.access_token))).text()).toBe('{"active":false}')
    expect((await as.poll(0)).some((e) => e.type === 'grant.revoked' && e.data?.sub === 'alice')).toBe(true)
  })

  it('turns refresh reuse detection off: a replay fails but the family lives', async () => {
    await as.setRefreshReuseDetection(false)
    const t0 = await codeFlow(app, 'spa', 'http://127.0.0.1:5173/cb')
    const form = (rt: unknown) => ({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=refresh_token&client_id=spa&refresh_token=${rt}`,
    })
    const r1 = (await (await fetch(`${url}/token`, form(t0.refresh_token))).json()) as Record<string, unknown>
    const replay = await fetch(`${url}/token`, form(t0.refresh_token))
    expect(replay.status).toBe(400)
    expect(((await (await introspect(String(r1.access_token))).json()) as { active: boolean }).active).toBe(true)
    expect((await as.state()).refreshReuseDetection).toBe(false)
  })

  it('streams events over SSE and polls them with strictly increasing seq', async () => {
    const ctl = new AbortController()
    const res = await fetch(`${url}/_chaos/events/stream`, {
      headers: { authorization: `Bearer ${ADMIN}` },
      signal: ctl.signal,
    })
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/)
    const reader = res.body!.getReader()
    await as.setClockOffset(5)
    let text = ''
    const end = Date.now() + 5000
    while (!text.includes('"offsetSeconds":5') && Date.now() < end) {
      const { value, done } = await reader.read()
      if (done) break
      text += Buffer.from(value).toString()
    }
    ctl.abort()
    expect(text).toContain('event: chaos.changed')
    const all = await as.poll(0)
    for (let i = 1; i < all.length; i++) expect(all[i]!.seq).toBe(all[i - 1]!.seq + 1)
    const last = all.at(-1)!.seq
    expect(await as.poll(last)).toEqual([])
    expect((await as.poll(last - 1)).map((e) => e.seq)).toEqual([last])
    expect(as.source).toBe('mock-as')
  })
})

describe('mock-as shutdown', () => {
  it('closes promptly with an SSE client still connected', async () => {
    const app = await buildAuthorizationServer({ adminToken: ADMIN, logger: false })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const res = await fetch(`${app.oauthContext.issuer}/_chaos/events/stream`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    })
    const reader = res.body!.getReader()
    const first = Buffer.from((await reader.read()).value!).toString()
    expect(first).toContain('event: key.published')
    const t = performance.now()
    await app.close()
    expect(performance.now() - t).toBeLessThan(3000)
    expect((await reader.read()).done).toBe(true)
  })
})
