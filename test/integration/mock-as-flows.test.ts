import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildAuthorizationServer } from '../../mock-as/app.ts'
import type { ComponentEvent } from '../../src/runtime/types.ts'
import { authorize, basic, codeFlow, formState, json, pkce, post } from '../../mock-as/testing.ts'

const ISSUER = 'http://127.0.0.1:9000'
const REDIRECT = 'http://127.0.0.1:5173/cb'
const RS = { authorization: basic('rs', 'rs-secret') }
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

async function active(app: FastifyInstance, token: unknown): Promise<boolean> {
  return json(await post(app, '/introspect', { token: String(token) }, RS)).active === true
}

describe('mock-as flows', () => {
  let app: FastifyInstance
  let now = Date.now()
  const events: ComponentEvent[] = []
  beforeAll(async () => {
    app = await buildAuthorizationServer({
      config: { issuer: ISSUER, refreshReuseGrace: '2s', devicePollInterval: '5s', deviceCodeTtl: '60s' },
      logger: false,
      now: () => now,
    })
    app.oauthEvents.on('event', (e: ComponentEvent) => events.push(e))
  })
  afterAll(async () => {
    await app.close()
  })

  it('revokes the tokens issued from a code when the code is replayed', async () => {
    const { verifier, challenge } = pkce()
    const { location } = await authorize(app, {
      response_type: 'code',
      client_id: 'spa',
      redirect_uri: REDIRECT,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    })
    const code = location!.searchParams.get('code')!
    const params = {
      grant_type: 'authorization_code',
      code,
      client_id: 'spa',
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    }
    const first = json(await post(app, '/token', params))
    expect(await active(app, first.access_token)).toBe(true)
    const replay = await post(app, '/token', params)
    expect(replay.statusCode).toBe(400)
    expect(json(replay).error).toBe('invalid_grant')
    expect(await active(app, first.access_token)).toBe(false)
    expect(await active(app, first.refresh_token)).toBe(false)
    const refresh = await post(app, '/token', {
      grant_type: 'refresh_token',
      refresh_token: String(first.refresh_token),
      client_id: 'spa',
    })
    expect(json(refresh).error).toBe('invalid_grant')
    const replayed = events.find((e) => e.type === 'code.replayed')
    expect(replayed?.data).toMatchObject({ client_id: 'spa', sub: 'alice' })
    expect(JSON.stringify(events)).not.toContain(code)
  })

  it('refuses an expired code', async () => {
    const { verifier, challenge } = pkce()
    const { location } = await authorize(app, {
      response_type: 'code',
      client_id: 'spa',
      redirect_uri: REDIRECT,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    })
    now += 61_000
    const res = await post(app, '/token', {
      grant_type: 'authorization_code',
      code: location!.searchParams.get('code')!,
      client_id: 'spa',
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    })
    expect(json(res).error).toBe('invalid_grant')
  })

  it('rotates refresh tokens and revokes the family when a rotated one is reused after the grace window', async () => {
    const t0 = await codeFlow(app, 'spa', REDIRECT)
    const r1 = json(
      await post(app, '/token', {
        grant_type: 'refresh_token',
        refresh_token: String(t0.refresh_token),
        client_id: 'spa',
      }),
    )
    expect(r1.refresh_token).toBeDefined()
    expect(r1.refresh_token).not.toBe(t0.refresh_token)
    const r2 = json(
      await post(app, '/token', {
        grant_type: 'refresh_token',
        refresh_token: String(r1.refresh_token),
        client_id: 'spa',
        scope: 'orders:read',
      }),
    )
    expect(await active(app, r2.access_token)).toBe(true)
    now += 3_000
    const reuse = await post(app, '/token', {
      grant_type: 'refresh_token',
      refresh_token: String(r1.refresh_token),
      client_id: 'spa',
    })
    expect(reuse.statusCode).toBe(400)
    expect(json(reuse).error).toBe('invalid_grant')
    for (const t of [r2.access_token, r2.refresh_token, r1.access_token, t0.access_token])
      expect(await active(app, t)).toBe(false)
    const latest = await post(app, '/token', {
      grant_type: 'refresh_token',
      refresh_token: String(r2.refresh_token),
      client_id: 'spa',
    })
    expect(json(latest).error).toBe('invalid_grant')
    const reused = events.filter((e) => e.type === 'refresh_token.reused')
    expect(reused.at(-1)?.data).toMatchObject({ client_id: 'spa', sub: 'alice' })
    expect(typeof reused.at(-1)?.data?.jti).toBe('string')
    expect(events.some((e) => e.type === 'grant.revoked' && e.data?.reason === 'refresh_token_reused')).toBe(true)
    const metrics = await app.inject({ url: '/metrics' })
    expect(metrics.body).toMatch(/mock_as_refresh_reuse_detected_total [1-9]/)
  })

  it('accepts the immediately previous refresh token inside the grace window', async () => {
    const t0 = await codeFlow(app, 'spa', REDIRECT)
    const r1 = json(
      await post(app, '/token', {
        grant_type: 'refresh_token',
        refresh_token: String(t0.refresh_token),
        client_id: 'spa',
      }),
    )
    now += 1_000
    const retry = await post(app, '/token', {
      grant_type: 'refresh_token',
      refresh_token: String(t0.refresh_token),
      client_id: 'spa',
    })
    expect(retry.statusCode).toBe(200)
    expect(await active(app, r1.access_token)).toBe(true)
  })

  it('refuses a refresh token of another client and a widened scope', async () => {
    const t0 = await codeFlow(app, 'web', REDIRECT, { authorization: basic('web', 'web-secret') })
    const stolen = await post(app, '/token', {
      grant_type: 'refresh_token',
      refresh_token: String(t0.refresh_token),
      client_id: 'spa',
    })
    expect(json(stolen).error).toBe('invalid_grant')
    const t1 = await codeFlow(app, 'spa', REDIRECT)
    const wider = await post(app, '/token', {
      grant_type: 'refresh_token',
      refresh_token: String(t1.refresh_token),
      client_id: 'spa',
      scope: 'orders:write',
    })
    expect(json(wider).error).toBe('invalid_scope')
  })

  it('sweeps expired tokens so memory stays bounded under load', async () => {
    const store = app.oauthContext.store
    store.sweep(app.oauthContext.clock.now())
    const before = store.access.size
    for (let i = 0; i < 20; i++)
      await post(
        app,
        '/token',
        { grant_type: 'client_credentials' },
        { authorization: basic('svc-opaque', 'svc-opaque-secret') },
      )
    // client_credentials JWTs are never stored
    await post(app, '/token', { grant_type: 'client_credentials' }, { authorization: basic('svc', 'svc-secret') })
    expect(store.access.size).toBe(before + 20)
    now += 301_000 + 10_000
    store.sweep(app.oauthContext.clock.now())
    expect(store.access.size).toBe(0)
  })

  it('runs the device flow: pending, slow_down, user approval at /device, tokens once', async () => {
    const da = await post(app, '/device_authorization', { client_id: 'device', scope: 'orders:read' })
    expect(da.statusCode).toBe(200)
    expect(da.headers['cache-control']).toBe('no-store')
    const d = json(da)
    expect(d).toMatchObject({ verification_uri: `${ISSUER}/device`, interval: 5, expires_in: 60 })
    expect(String(d.user_code)).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/)
    expect(String(d.verification_uri_complete)).toContain(encodeURIComponent(String(d.user_code)))
    const poll = () =>
      post(app, '/token', { grant_type: DEVICE_GRANT, device_code: String(d.device_code), client_id: 'device' })
    expect(json(await poll()).error).toBe('authorization_pending')
    expect(json(await poll()).error).toBe('slow_down')
    now += 11_000
    expect(json(await poll()).error).toBe('authorization_pending')

    const page = await app.inject({ url: `/device?user_code=${encodeURIComponent(String(d.user_code))}` })
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain(`value="${d.user_code}"`)
    const s = formState(page)
    const bad = await post(
      app,
      '/device',
      { csrf: s.csrf, user_code: String(d.user_code), username: 'alice', password: 'x', decision: 'approve' },
      { cookie: s.cookie },
    )
    expect(bad.statusCode).toBe(401)
    const noCsrf = await post(
      app,
      '/device',
      {
        csrf: 'forged',
        user_code: String(d.user_code),
        username: 'alice',
        password: 'wonderland',
        decision: 'approve',
      },
      { cookie: s.cookie },
    )
    expect(noCsrf.statusCode).toBe(403)
    const lower = String(d.user_code).toLowerCase().replace('-', '')
    const ok = await post(
      app,
      '/device',
      { csrf: s.csrf, user_code: lower, username: 'alice', password: 'wonderland', decision: 'approve' },
      { cookie: s.cookie },
    )
    expect(ok.statusCode).toBe(200)
    now += 11_000
    const tokens = await poll()
    expect(tokens.statusCode).toBe(200)
    expect(json(tokens)).toMatchObject({ token_type: 'Bearer', scope: 'orders:read' })
    expect(typeof json(tokens).refresh_token).toBe('string')
    expect(json(await introspectBody(app, json(tokens).access_token))).toMatchObject({
      active: true,
      sub: 'alice',
      client_id: 'device',
    })
    now += 11_000
    expect(json(await poll()).error).toBe('invalid_grant')
  })

  it('answers access_denied and expired_token in the device flow', async () => {
    const d1 = json(await post(app, '/device_authorization', { client_id: 'device' }))
    const page = await app.inject({ url: '/device' })
    const s = formState(page)
    await post(
      app,
      '/device',
      { csrf: s.csrf, user_code: String(d1.user_code), username: 'alice', password: 'wonderland', decision: 'deny' },
      { cookie: s.cookie },
    )
    const denied = await post(app, '/token', {
      grant_type: DEVICE_GRANT,
      device_code: String(d1.device_code),
      client_id: 'device',
    })
    expect(json(denied).error).toBe('access_denied')
    const d2 = json(await post(app, '/device_authorization', { client_id: 'device' }))
    now += 61_000
    const expired = await post(app, '/token', {
      grant_type: DEVICE_GRANT,
      device_code: String(d2.device_code),
      client_id: 'device',
    })
    expect(json(expired).error).toBe('expired_token')
    const notAllowed = await post(app, '/device_authorization', { client_id: 'spa' })
    expect(json(notAllowed).error).toBe('unauthorized_client')
  })
})

function introspectBody(app: FastifyInstance, token: unknown) {
  return post(app, '/introspect', { token: String(token) }, RS)
}
