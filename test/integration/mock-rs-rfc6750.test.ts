import type { FastifyInstance } from 'fastify'
import { SignJWT, UnsecuredJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildResourceServer } from '../../mock-rs/app.ts'
import { type FixtureAs, startFixtureAs } from '../../mock-rs/fixture-as.ts'
import { seededRandom } from '../../src/util/random.ts'

let as: FixtureAs
let rs: FastifyInstance
const apps: FastifyInstance[] = []
const ADMIN = 'admin-token-for-tests'

beforeAll(async () => {
  as = await startFixtureAs()
  rs = await buildResourceServer({ issuer: as.issuer, name: 'orders', adminToken: ADMIN })
  apps.push(rs)
})

afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()))
  await as.close()
})

function get(app: FastifyInstance, headers: Record<string, string> = {}, url = '/api/orders') {
  return app.inject({ method: 'GET', url, headers })
}

describe('mock-rs RFC 6750 responses', () => {
  it('answers 200 to a valid token with the read scope', async () => {
    const res = await get(rs, { authorization: `Bearer ${await as.mint()}` })
    expect(res.statusCode).toBe(200)
    expect(res.json().orders.length).toBeGreaterThan(0)
  })

  it('answers 401 with a bare Bearer realm challenge when there are no credentials', async () => {
    for (const headers of [{}, { authorization: 'Basic c3ZjOnN2Yy1zZWNyZXQ=' }] as Array<Record<string, string>>) {
      const res = await get(rs, headers)
      expect(res.statusCode).toBe(401)
      expect(res.headers['www-authenticate']).toBe('Bearer realm="orders"')
    }
  })

  it('answers 401 invalid_token with the reason as error_description', async () => {
    const res = await get(rs, { authorization: `Bearer ${await as.mint({ iatOffset: -600 })}` })
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="orders", error="invalid_token", error_description="expired"',
    )
    expect(res.json()).toEqual({ error: 'invalid_token', error_description: 'expired' })
  })

  it('answers 403 insufficient_scope naming the scope', async () => {
    const token = await as.mint({ claims: { scope: 'orders:read' } })
    const res = await rs.inject({
      method: 'POST',
      url: '/api/orders',
      headers: { authorization: `Bearer ${token}` },
      payload: { item: 'x' },
    })
    expect(res.statusCode).toBe(403)
    expect(res.headers['www-authenticate']).toMatch(
      /^Bearer realm="orders", error="insufficient_scope", error_description="[^"]+", scope="orders:write"$/,
    )
    const ok = await rs.inject({
      method: 'POST',
      url: '/api/orders',
      headers: { authorization: `Bearer ${await as.mint()}` },
      payload: { item: 'x' },
    })
    expect(ok.statusCode).toBe(201)
  })

  it('answers 400 invalid_request when the token comes in the header and the query', async () => {
    const token = await as.mint()
    const res = await get(rs, { authorization: `Bearer ${token}` }, `/api/orders?access_token=${token}`)
    expect(res.statusCode).toBe(400)
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="orders", error="invalid_request"/)
    const queryOnly = await get(rs, {}, `/api/orders?access_token=${token}`)
    expect(queryOnly.statusCode).toBe(200)
  })

  it('maps each defect to its reason', async () => {
    const [h, , s] = (await as.mint()).split('.')
    const tampered = `${h}.${Buffer.from(JSON.stringify({ iss: as.issuer, aud: 'https://api.example', exp: 9999999999, scope: 'orders:read' })).toString('base64url')}.${s}`
    const hs = await new SignJWT({ iss: as.issuer, aud: 'https://api.example', exp: 9999999999 })
      .setProtectedHeader({ alg: 'HS256', kid: as.signingKid, typ: 'at+jwt' })
      .sign(new TextEncoder().encode('a-shared-secret-long-enough-for-hs256'))
    const none = new UnsecuredJWT({ iss: as.issuer, aud: 'https://api.example', exp: 9999999999 }).encode()
    const cases: Array<[string, string]> = [
      [await as.mint({ nbfOffset: 120 }), 'not_yet_valid'],
      [tampered, 'bad_signature'],
      [await as.mint({ claims: { aud: 'https://other.example' } }), 'wrong_aud'],
      [await as.mint({ claims: { iss: 'https://evil.example' } }), 'wrong_iss'],
      [await as.mint({ typ: 'dpop+jwt' }), 'wrong_typ'],
      [hs, 'bad_alg'],
      [none, 'bad_alg'],
      [await as.mint({ omitExp: true }), 'malformed'],
      ['not-a-jwt', 'malformed'],
    ]
    for (const [token, reason] of cases) {
      const res = await get(rs, { authorization: `Bearer ${token}` })
      expect(res.statusCode, reason).toBe(401)
      expect(res.json().error_description).toBe(reason)
    }
  })

  it('accepts typ JWT only when allowJwtTyp is on, and ignores aud when checkAudience is off', async () => {
    const strict = await buildResourceServer({ issuer: as.issuer, knobs: { allowJwtTyp: false, checkAudience: false } })
    apps.push(strict)
    const jwtTyp = await as.mint({ typ: 'JWT' })
    expect((await get(rs, { authorization: `Bearer ${jwtTyp}` })).statusCode).toBe(200)
    expect((await get(strict, { authorization: `Bearer ${jwtTyp}` })).json().error_description).toBe('wrong_typ')
    const otherAud = await as.mint({ claims: { aud: 'https://other.example' } })
    expect((await get(strict, { authorization: `Bearer ${otherAud}` })).statusCode).toBe(200)
  })

  it('answers 503 with Retry-After when the JWKS is unreachable (resilient) and 401 validator_unavailable (jose-defaults)', async () => {
    as.setJwksStatus(500)
    try {
      const resilient = await buildResourceServer({ issuer: as.issuer, jwksUri: as.jwksUri })
      const jose = await buildResourceServer({ issuer: as.issuer, jwksUri: as.jwksUri, profile: 'jose-defaults' })
      apps.push(resilient, jose)
      const token = await as.mint()
      const a = await get(resilient, { authorization: `Bearer ${token}` })
      expect(a.statusCode).toBe(503)
      expect(Number(a.headers['retry-after'])).toBeGreaterThanOrEqual(1)
      const b = await get(jose, { authorization: `Bearer ${token}` })
      expect(b.statusCode).toBe(401)
      expect(b.headers['www-authenticate']).toContain('error_description="validator_unavailable"')
    } finally {
      as.setJwksStatus(null)
    }
  })

  it('never answers 500 to garbage Authorization headers', async () => {
    const garbage = [
      'Bearer',
      'Bearer ',
      'bearer    ',
      'Bearer a b',
      'Bearer a.b.c',
      'Bearer ...',
      'Bearer eyJ.eyJ.x',
      `Bearer ${Buffer.from('{"alg":["ES256"]}').toString('base64url')}.e30.x`,
      `Bearer ${Buffer.from('{"alg":"ES256","kid":{"a":1}}').toString('base64url')}.e30.x`,
      `Bearer ${Buffer.from('[]').toString('base64url')}.e30.x`,
      `Bearer ${Buffer.from('{"alg":"ES256","crit":["zzz"]}').toString('base64url')}.e30.x`,
      `Bearer ${Buffer.from('{"alg":"RS256"}').toString('base64url')}.e30.x`,
      'Bearer a.b.c.d.e',
      `Bearer ${'A'.repeat(8000)}`,
      'Bearer %00%ff',
      'Bearer ===',
      'Digest username="x"',
      'Bearer\tabc',
      '   ',
      `Bearer ${Buffer.from('{"alg":"ES256","kid":"' + as.signingKid + '"}').toString('base64url')}.${Buffer.from('not json').toString('base64url')}.AAAA`,
    ]
    for (const authorization of garbage) {
      const res = await get(rs, { authorization })
      expect(res.statusCode, authorization.slice(0, 40)).toBeGreaterThanOrEqual(400)
      expect(res.statusCode, authorization.slice(0, 40)).toBeLessThan(500)
    }
    for (const url of ['/api/orders?access_token=', '/api/orders?access_token=a&access_token=b']) {
      const res = await get(rs, {}, url)
      expect(res.statusCode, url).toBe(400)
    }
    // no bracket parsing: `access_token[x]` is just another parameter, so no credentials
    expect((await get(rs, {}, '/api/orders?access_token[x]=1')).statusCode).toBe(401)
    const badBody = await rs.inject({
      method: 'POST',
      url: '/api/orders',
      headers: { 'content-type': 'application/json' },
      payload: '{not json',
    })
    expect(badBody.statusCode).toBe(400)
  })

  it('never answers 500 to 300 random printable Authorization headers (seeded)', async () => {
    const rnd = seededRandom(42)
    const valid = await as.mint()
    const statuses = new Set<number>()
    for (let i = 0; i < 300; i++) {
      const len = Math.floor(rnd() * 120)
      let junk = ''
      for (let j = 0; j < len; j++) junk += String.fromCharCode(32 + Math.floor(rnd() * 95))
      // a third of them mutate a real token, which reaches the signature and claim checks
      const cut = Math.floor(rnd() * valid.length)
      const value =
        i % 3 === 0
          ? `Bearer ${valid.slice(0, cut)}${junk.replace(/\s/g, '')}${valid.slice(cut + 3)}`
          : i % 3 === 1
            ? `Bearer ${junk}`
            : junk
      const res = await get(rs, { authorization: value.trim() || 'x' })
      statuses.add(res.statusCode)
      expect(res.statusCode, value).toBeLessThan(500)
    }
    expect([...statuses].every((s) => s === 400 || s === 401)).toBe(true)
  })

  it('treats a form-body access_token like the header and refuses both at once', async () => {
    const token = await as.mint()
    const form = { 'content-type': 'application/x-www-form-urlencoded' }
    const ok = await rs.inject({ method: 'POST', url: '/api/orders', headers: form, payload: `access_token=${token}` })
    expect(ok.statusCode).toBe(201)
    const both = await rs.inject({
      method: 'POST',
      url: '/api/orders',
      headers: { ...form, authorization: `Bearer ${token}` },
      payload: `access_token=${token}`,
    })
    expect(both.statusCode).toBe(400)
    expect(both.json().error).toBe('invalid_request')
  })

  it('serves /healthz and /metrics with validations by outcome and reason', async () => {
    expect((await get(rs, {}, '/healthz')).json()).toEqual({ status: 'ok' })
    const metrics = (await get(rs, {}, '/metrics')).body
    expect(metrics).toMatch(/rs_validations_total\{outcome="rejected",reason="expired",source="load"\} [1-9]/)
    expect(metrics).toMatch(/rs_validations_total\{outcome="accepted",reason="",source="load"\} [1-9]/)
    expect(metrics).toMatch(/rs_jwks_fetches_total\{result="ok"\} [1-9]/)
    expect(metrics).toMatch(/rs_cache_hits_total\{cache="jwks"\} [1-9]/)
  })
})

describe('mock-rs control API', () => {
  const auth = { authorization: `Bearer ${ADMIN}` }

  it('refuses calls without the admin token', async () => {
    expect((await get(rs, {}, '/_control/stats')).statusCode).toBe(401)
    expect((await get(rs, { authorization: 'Bearer wrong' }, '/_control/stats')).statusCode).toBe(401)
  })

  it('answers bad input with 400', async () => {
    const res = await rs.inject({
      method: 'PUT',
      url: '/_control/clock',
      headers: auth,
      payload: { offsetSeconds: 'soon' },
    })
    expect(res.statusCode).toBe(400)
    expect((await get(rs, auth, '/_control/events?since=-1')).statusCode).toBe(400)
  })

  it('skews the RS clock so a fresh token reads as expired, then resets', async () => {
    const token = await as.mint({ expiresIn: 60 })
    expect((await get(rs, { authorization: `Bearer ${token}` })).statusCode).toBe(200)
    const put = await rs.inject({
      method: 'PUT',
      url: '/_control/clock',
      headers: auth,
      payload: { offsetSeconds: 120 },
    })
    expect(put.statusCode).toBe(200)
    const res = await get(rs, { authorization: `Bearer ${token}` })
    expect(res.json().error_description).toBe('expired')
    expect((await get(rs, auth, '/_control/state')).json().clockOffsetSeconds).toBe(120)
    const stats = (await get(rs, auth, '/_control/stats')).json()
    expect(stats.validations.accepted).toBeGreaterThan(0)
    expect(stats.validations.rejected.expired).toBeGreaterThan(0)
    expect(stats.kids).toContain(as.signingKid)
    const { events } = (await get(rs, auth, '/_control/events?since=0')).json()
    expect(events.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['jwks.fetched', 'token.rejected', 'clock.skewed']),
    )
    const seqs = events.map((e: { seq: number }) => e.seq)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    const last = seqs.at(-1)
    expect((await get(rs, auth, `/_control/events?since=${last}`)).json().events).toEqual([])
    expect((await rs.inject({ method: 'POST', url: '/_control/reset', headers: auth })).statusCode).toBe(200)
    expect((await get(rs, { authorization: `Bearer ${token}` })).statusCode).toBe(200)
    expect((await get(rs, auth, '/_control/stats')).json().validations).toEqual({ accepted: 1 })
  })

  it('never puts a token in the event feed', async () => {
    const token = await as.mint({ iatOffset: -900 })
    await get(rs, { authorization: `Bearer ${token}` })
    const feed = (await get(rs, auth, '/_control/events?since=0')).body
    expect(feed).not.toContain(token.split('.')[2])
    expect(feed).not.toContain('eyJ')
  })
})
