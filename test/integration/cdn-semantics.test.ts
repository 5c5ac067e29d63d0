import Fastify, { type FastifyInstance } from 'fastify'
import { request } from 'undici'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { isGamedayError } from '../../src/errors.ts'
import { createCdnControl } from '../../jwks-cdn/client.ts'
import { buildJwksCdn, type JwksCdnOptions } from '../../jwks-cdn/app.ts'
import { serveCdn } from '../../jwks-cdn/main.ts'
import type { ServedComponent } from '../../src/util/component/common.ts'

interface OriginState {
  version: number
  cacheControl: string | null
  status: number
  hits: number
  etag: string | null
}

async function startOrigin(state: OriginState): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify({ logger: false })
  app.get('/jwks', async (req, reply) => {
    state.hits++
    if (state.status !== 200) return reply.code(state.status).send({ error: 'server_error' })
    if (state.cacheControl) reply.header('cache-control', state.cacheControl)
    if (state.etag) {
      reply.header('etag', state.etag)
      if (req.headers['if-none-match'] === state.etag) return reply.code(304).send()
    }
    return { keys: [{ kid: `k${state.version}`, kty: 'OKP' }], q: (req.query as Record<string, string>).q ?? null }
  })
  app.get('/other', async (_req, reply) =>
    reply.header('cache-control', 'max-age=3600').send({ keys: [{ kid: `o${state.version}` }] }),
  )
  await app.listen({ port: 0, host: '127.0.0.1' })
  const addr = app.server.address() as { port: number }
  return { app, url: `http://127.0.0.1:${addr.port}` }
}

async function get(url: string) {
  const res = await request(url)
  const body = (await res.body.json()) as { keys?: Array<{ kid: string }>; q?: string | null }
  return {
    status: res.statusCode,
    xcache: res.headers['x-cache'],
    age: Number(res.headers.age),
    kid: body.keys?.[0]?.kid,
    body,
  }
}

async function until(cond: () => Promise<boolean>, ms = 3000): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await cond()) return
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error('condition not met in time')
}

describe('jwks-cdn', () => {
  const state: OriginState = { version: 1, cacheControl: 'max-age=60', status: 200, hits: 0, etag: null }
  let origin: { app: FastifyInstance; url: string }
  let clock = 1_700_000_000_000
  const servers: ServedComponent[] = []
  const start = async (opts: Partial<JwksCdnOptions> = {}) => {
    const s = await serveCdn({ origin: origin.url, now: () => clock, logger: false, ...opts })
    servers.push(s)
    return { ...s, control: createCdnControl(s.url, s.adminToken), jwks: `${s.url}/jwks` }
  }
  const advance = (seconds: number) => {
    clock += seconds * 1000
  }

  beforeAll(async () => {
    origin = await startOrigin(state)
  })
  afterAll(async () => {
    await origin.app.close()
  })
  beforeEach(() => {
    Object.assign(state, { version: 1, cacheControl: 'max-age=60', status: 200, hits: 0, etag: null })
  })
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()))
  })

  it('honours the origin max-age and sets Age', async () => {
    const cdn = await start()
    const first = await get(cdn.jwks)
    expect(first).toMatchObject({ status: 200, xcache: 'MISS', age: 0, kid: 'k1' })
    advance(30)
    state.version = 2
    expect(await get(cdn.jwks)).toMatchObject({ xcache: 'HIT', age: 30, kid: 'k1' })
    expect(state.hits).toBe(1)
    advance(31)
    expect(await get(cdn.jwks)).toMatchObject({ xcache: 'REVALIDATED', age: 0, kid: 'k2' })
    expect(state.hits).toBe(2)
  })

  it('answers HEAD from the cache and refuses other methods', async () => {
    const cdn = await start()
    await get(cdn.jwks)
    const head = await request(cdn.jwks, { method: 'HEAD' })
    await head.body.dump()
    expect(head.statusCode).toBe(200)
    expect(head.headers['x-cache']).toBe('HIT')
    const post = await request(cdn.jwks, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    })
    await post.body.dump()
    expect(post.statusCode).toBe(405)
    expect(state.hits).toBe(1)
  })

  it('keys the cache by path and query', async () => {
    const cdn = await start()
    expect((await get(`${cdn.jwks}?q=a`)).body.q).toBe('a')
    expect(await get(`${cdn.jwks}?q=b`)).toMatchObject({ xcache: 'MISS', body: { q: 'b' } })
    expect(await get(`${cdn.jwks}?q=a`)).toMatchObject({ xcache: 'HIT', body: { q: 'a' } })
  })

  it('lets a forced TTL override the origin Cache-Control, no-store included', async () => {
    const cdn = await start({ ttl: '10m' })
    await get(cdn.jwks)
    state.version = 2
    advance(300)
    expect(await get(cdn.jwks)).toMatchObject({ xcache: 'HIT', age: 300, kid: 'k1' })
    advance(301)
    expect(await get(cdn.jwks)).toMatchObject({ xcache: 'REVALIDATED', kid: 'k2' })
    state.cacheControl = 'no-store'
    state.version = 3
    advance(601)
    expect(await get(cdn.jwks)).toMatchObject({ xcache: 'REVALIDATED', kid: 'k3' })
    advance(10)
    expect(await get(cdn.jwks)).toMatchObject({ xcache: 'HIT', kid: 'k3' })
  })

  it('does not store a no-store response', async () => {
    state.cacheControl = 'no-store'
    const cdn = await start()
    expect((await get(cdn.jwks)).xcache).toBe('MISS')
    expect((await get(cdn.jwks)).xcache).toBe('MISS')
    expect(state.hits).toBe(2)
    expect((await cdn.control.stats()).entries).toEqual([])
  })

  it('revalidates a no-cache response on every use, with a conditional request', async () => {
    state.cacheControl = 'no-cache'
    state.etag = '"v1"'
    const cdn = await start()
    expect((await get(cdn.jwks)).xcache).toBe('MISS')
    expect(await get(cdn.jwks)).toMatchObject({ xcache: 'REVALIDATED', kid: 'k1' })
    expect(state.hits).toBe(2)
  })

  it('serves stale while revalidating, then the refreshed content', async () => {
    state.cacheControl = 'max-age=10'
    const cdn = await start({ staleWhileRevalidate: '30s' })
    await get(cdn.jwks)
    state.version = 2
    advance(20)
    expect(await get(cdn.jwks)).toMatchObject({ xcache: 'STALE', age: 20, kid: 'k1' })
    await until(async () => (await cdn.control.stats()).revalidations === 1)
    expect(await get(cdn.jwks)).toMatchObject({ xcache: 'HIT', age: 0, kid: 'k2' })
    expect(state.hits).toBe(2)
    const types = (await cdn.control.poll(0)).map((e) => e.type)
    expect(types).toEqual(['cdn.miss', 'cdn.stale_served', 'cdn.revalidated'])
  })

  it('refreshes once in the background for concurrent stale requests (single flight)', async () => {
    state.cacheControl = 'max-age=10'
    const cdn = await start({ staleWhileRevalidate: '30s' })
    await get(cdn.jwks)
    advance(15)
    const results = await Promise.all(Array.from({ length: 10 }, () => get(cdn.jwks)))
    expect(results.every((r) => r.xcache === 'STALE' || r.xcache === 'HIT')).toBe(true)
    await until(async () => (await cdn.control.stats()).revalidations === 1)
    expect(state.hits).toBe(2)
  })

  it('serves stale when the origin answers 500, within the stale-if-error window only', async () => {
    state.cacheControl = 'max-age=10'
    const cdn = await start({ staleIfError: '60s' })
    await get(cdn.jwks)
    state.status = 500
    advance(40)
    expect(await get(cdn.jwks)).toMatchObject({ status: 200, xcache: 'STALE', age: 40, kid: 'k1' })
    advance(31)
    expect(await get(cdn.jwks)).toMatchObject({ status: 500, xcache: 'MISS' })
    const stats = await cdn.control.stats()
    expect(stats).toMatchObject({ misses: 1, stale: 1, originErrors: 2 })
  })

  it('honours the origin stale-if-error directive when none is configured', async () => {
    state.cacheControl = 'max-age=10, stale-if-error=20'
    const cdn = await start()
    await get(cdn.jwks)
    state.status = 503
    advance(25)
    expect((await get(cdn.jwks)).xcache).toBe('STALE')
    advance(10)
    expect((await get(cdn.jwks)).status).toBe(503)
  })

  it('serves stale when the origin is down, and 502 past the window', async () => {
    const ownState: OriginState = { version: 1, cacheControl: 'max-age=10', status: 200, hits: 0, etag: null }
    const own = await startOrigin(ownState)
    const s = await serveCdn({ origin: own.url, now: () => clock, logger: false, staleIfError: '60s' })
    servers.push(s)
    await get(`${s.url}/jwks`)
    await own.app.close()
    advance(30)
    expect(await get(`${s.url}/jwks`)).toMatchObject({ status: 200, xcache: 'STALE', age: 30, kid: 'k1' })
    advance(60)
    const res = await get(`${s.url}/jwks`)
    expect(res.status).toBe(502)
    const events = await createCdnControl(s.url, s.adminToken).poll(0)
    expect(events.filter((e) => e.type === 'cdn.origin_failed')).toHaveLength(2)
  })

  it('applies a delayed purge only after the propagation delay', async () => {
    state.cacheControl = 'max-age=3600'
    const cdn = await start({ purgeDelay: '30s' })
    await get(cdn.jwks)
    state.version = 2
    const { effectiveAt } = await cdn.control.purge()
    expect(effectiveAt).toBe(clock + 30_000)
    advance(29)
    expect(await get(cdn.jwks)).toMatchObject({ xcache: 'HIT', kid: 'k1' })
    advance(2)
    expect(await get(cdn.jwks)).toMatchObject({ xcache: 'MISS', kid: 'k2', age: 0 })
    const events = await cdn.control.poll(0)
    expect(events.map((e) => e.type)).toEqual(['cdn.miss', 'cdn.purge_requested', 'cdn.purged', 'cdn.miss'])
    expect(events[2]?.data).toMatchObject({ path: '*', entries: 1 })
    for (let i = 1; i < events.length; i++) expect(events[i]!.seq).toBe(events[i - 1]!.seq + 1)
  })

  it('purges one path, every query string of it, and leaves the rest', async () => {
    state.cacheControl = 'max-age=3600'
    const cdn = await start()
    await get(cdn.jwks)
    await get(`${cdn.jwks}?q=1`)
    await get(`${cdn.url}/other`)
    await cdn.control.purge({ path: '/jwks' })
    expect((await cdn.control.stats()).entries.map((e) => e.path)).toEqual(['/other'])
    expect((await get(`${cdn.url}/other`)).xcache).toBe('HIT')
    expect((await get(cdn.jwks)).xcache).toBe('MISS')
  })

  it('changes its settings at run time and resets them', async () => {
    state.cacheControl = 'max-age=10'
    const cdn = await start()
    await get(cdn.jwks)
    await cdn.control.configure({ ttl: '5m' })
    advance(100)
    expect((await get(cdn.jwks)).xcache).toBe('HIT')
    await cdn.control.configure({ ttl: null })
    expect((await get(cdn.jwks)).xcache).toBe('REVALIDATED')
    await cdn.control.configure({ ttl: '5m' })
    await cdn.control.reset()
    const st = (await cdn.control.state()) as { config: { ttl: string | null }; entries: unknown[] }
    expect(st.config.ttl).toBeNull()
    expect(st.entries).toEqual([])
  })

  it('reports hits, misses, age of what it served and its entries', async () => {
    const cdn = await start()
    await get(cdn.jwks)
    advance(12)
    await get(cdn.jwks)
    await get(cdn.jwks)
    const stats = await cdn.control.stats()
    expect(stats).toMatchObject({ hits: 2, misses: 1, stale: 0, revalidations: 0, originErrors: 0, lastAgeSeconds: 12 })
    expect(stats.entries).toEqual([{ path: '/jwks', ageSeconds: 12, expiresInSeconds: 48 }])
    const metrics = await request(`${cdn.url}/metrics`)
    expect(await metrics.body.text()).toContain('cdn_requests_total{result="HIT",source="load"} 2')
  })

  it('answers bad control input with 400 naming the field', async () => {
    const cdn = await start()
    const put = async (body: unknown) => {
      const res = await request(`${cdn.url}/_cdn/config`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${cdn.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      return { status: res.statusCode, body: (await res.body.json()) as { message: string } }
    }
    const bad = await put({ ttl: 'ten minutes' })
    expect(bad.status).toBe(400)
    expect(bad.body.message).toContain('body.ttl')
    expect(bad.body.message).toContain('duration like 30s')
    const unknown = await put({ tll: '5m' })
    expect(unknown.status).toBe(400)
    expect(unknown.body.message).toContain('body.tll: unknown field')
    await expect(cdn.control.configure({ purgeDelay: '-1s' })).rejects.toMatchObject({
      code: 'ERR_CONTROL_REQUEST_FAILED',
    })
  })

  it('refuses the control API without the admin token', async () => {
    const cdn = await start()
    expect((await request(`${cdn.url}/_cdn/stats`)).statusCode).toBe(401)
    const wrong = await request(`${cdn.url}/_cdn/stats`, { headers: { authorization: 'Bearer nope' } })
    expect(wrong.statusCode).toBe(401)
    await expect(createCdnControl(cdn.url, 'nope').stats()).rejects.toMatchObject({
      code: 'ERR_CONTROL_REQUEST_FAILED',
    })
    expect((await request(`${cdn.url}/healthz`)).statusCode).toBe(200)
  })

  it('refuses a non-loopback origin unless allowed', async () => {
    const err = await buildJwksCdn({ origin: 'http://example.com', logger: false }).catch((e: unknown) => e)
    expect(isGamedayError(err, 'ERR_TARGET_NOT_LOOPBACK')).toBe(true)
  })
})
