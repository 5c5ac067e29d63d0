/**
 * The control API's request checks (its two route schemas), against a fixture
 * AS: bad input is a 400 invalid_request, never applied; defaults and
 * query-string coercion hold.
 */
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildResourceServer } from './app.ts'
import { type FixtureAs, startFixtureAs } from './fixture-as.ts'

const ADMIN = 'control-admin-token'
let as: FixtureAs
let app: FastifyInstance
const auth = { authorization: `Bearer ${ADMIN}` }

beforeAll(async () => {
  as = await startFixtureAs({})
  app = await buildResourceServer({ issuer: as.issuer, adminToken: ADMIN, logger: false })
})
afterAll(async () => {
  await app?.close()
  await as?.close()
})

describe('mock-rs control API input', () => {
  it("refuses a clock offset out of range, of the wrong type or missing, and leaves the clock as it was; an unknown field is dropped (fastify's Ajv removes additional properties)", async () => {
    for (const payload of [{ offsetSeconds: 1e12 }, { offsetSeconds: 'soon' }, {}]) {
      const res = await app.inject({ method: 'PUT', url: '/_control/clock', headers: auth, payload })
      expect(res.statusCode, JSON.stringify(payload)).toBe(400)
      expect(res.json().error).toBe('invalid_request')
    }
    const state = await app.inject({ method: 'GET', url: '/_control/state', headers: auth })
    expect(state.json().clockOffsetSeconds).toBe(0)
    const ok = await app.inject({
      method: 'PUT',
      url: '/_control/clock',
      headers: auth,
      payload: { offsetSeconds: 30, extra: 1 },
    })
    expect(ok.statusCode).toBe(200)
    expect(ok.json()).toEqual({ offsetSeconds: 30 })
  })

  it('reads events since a query-string number (coerced, default 0) and refuses one that is not a number', async () => {
    const all = await app.inject({ method: 'GET', url: '/_control/events', headers: auth })
    expect(all.statusCode).toBe(200)
    expect(Array.isArray(all.json().events)).toBe(true)
    const since = await app.inject({ method: 'GET', url: '/_control/events?since=3', headers: auth })
    expect(since.statusCode).toBe(200)
    const bad = await app.inject({ method: 'GET', url: '/_control/events?since=abc', headers: auth })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().error).toBe('invalid_request')
  })
})
