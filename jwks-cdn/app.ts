/**
 * JWKS CDN: a caching reverse proxy to put in front of an authorization
 * server's JWKS (any GET). It models the incident where a CDN keeps serving
 * the old key set after a rotation: it honours the origin's `Cache-Control`
 * (RFC 9111) or forces a TTL over it as an edge-TTL override does, serves
 * stale content per RFC 5861 (`stale-while-revalidate`, `stale-if-error`),
 * sets `Age` and `X-Cache`, and purges with a configurable propagation delay.
 * Its settings change at run time through `/_cdn`. The cache key is path and
 * query only; client request headers are not forwarded (so no Authorization
 * reaches the origin and nothing private is cached).
 */
import { Type } from '@sinclair/typebox'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { Counter, Gauge, Registry } from 'prom-client'
import { Pool } from 'undici'
import { GamedayError } from '../src/errors.ts'
import type { Logger } from '../src/log.ts'
import { assertLoopbackUrl } from '../src/util/loopback.ts'
import { DURATION_PATTERN, durationMs } from '../src/util/duration.ts'
import { type CacheDirectives, parseCacheControl } from './cache-control.ts'
import { sourceOf } from '../src/util/component/probe-traffic.ts'
import {
  controlScope,
  EventLog,
  fastifyLoggerOptions,
  forwardableHeaders,
  installErrorHandler,
  registerEventsRoute,
  validateInput,
} from '../src/util/component/common.ts'

/** Options of {@link buildJwksCdn}. Durations are k6-style strings (`30s`, `5m`). */
export interface JwksCdnOptions {
  /** Base URL of the origin (e.g. the AS issuer); request paths are appended to it. */
  origin: string
  /** Forced TTL over whatever the origin says (including `no-store`); null/absent honours the origin's `Cache-Control`. */
  ttl?: string | null
  /** Serve stale this long past expiry while refreshing in the background; absent: the origin's directive, else 0. */
  staleWhileRevalidate?: string
  /** Serve stale this long past expiry when the origin fails; absent: the origin's directive, else 0. */
  staleIfError?: string
  /** Time between a purge request and its effect (purge propagation); default 0s. */
  purgeDelay?: string
  /** Bearer token of `/_cdn`; without it the control API is off. */
  adminToken?: string
  /** Clock in epoch ms (tests inject one). */
  now?: () => number
  logger?: Logger | false
  /** Allow a non-loopback origin (named explicitly as an external component). */
  allowExternal?: boolean
  /** Give up on the origin after this long; default 10s. */
  originTimeout?: string
}

/** X-Cache values: fresh from cache, fetched (no entry), served past expiry, refreshed at the origin. */
export type CacheResult = 'HIT' | 'MISS' | 'STALE' | 'REVALIDATED'

interface Entry {
  key: string
  path: string
  status: number
  headers: Record<string, string | string[]>
  body: Buffer
  /** Our clock when the response arrived (or was last revalidated). */
  storedAt: number
  /** `Age` the origin reported, in ms. */
  originAgeMs: number
  directives: CacheDirectives
}

interface Fetched {
  status: number
  headers: Record<string, string | string[]>
  body: Buffer
  /** The cache entry now holding the response, when it was stored or revalidated. */
  entry?: Entry
}

interface RuntimeConfig {
  ttl: string | null
  staleWhileRevalidate: string | null
  staleIfError: string | null
  purgeDelay: string
}

const Duration = Type.String({ pattern: DURATION_PATTERN, description: 'k6-style duration, e.g. 30s, 250ms, 5m' })

/** Body of `PUT /_cdn/config`. */
export const CdnConfigSchema = Type.Object(
  {
    ttl: Type.Optional(
      Type.Union([Duration, Type.Null()], { description: 'forced TTL; null honours the origin Cache-Control' }),
    ),
    staleWhileRevalidate: Type.Optional(
      Type.Union([Duration, Type.Null()], { description: 'stale-while-revalidate window; null: the origin directive' }),
    ),
    staleIfError: Type.Optional(
      Type.Union([Duration, Type.Null()], { description: 'stale-if-error window; null: the origin directive' }),
    ),
    purgeDelay: Type.Optional(Duration),
  },
  { additionalProperties: false },
)

const PurgeSchema = Type.Object(
  {
    path: Type.Optional(
      Type.String({ pattern: '^/', description: 'purge only this path (every query string); absent: everything' }),
    ),
  },
  { additionalProperties: false },
)

// response headers that describe the origin's hop, that the cache recomputes, or that must not be replayed to everyone
const DROP_RESPONSE = ['age', 'content-length', 'date', 'x-cache', 'set-cookie']
const STORABLE_STATUS = new Set([200, 203])

function optDuration(value: string | null | undefined, field: string): string | null {
  if (value === undefined || value === null) return null
  try {
    durationMs(value)
  } catch (err) {
    throw new GamedayError('ERR_CONFIG_INVALID', `cdn.${field}: ${(err as Error).message}`)
  }
  return value
}

/**
 * Build the JWKS CDN (not listening).
 *
 * @example
 * ```ts
 * const cdn = await buildJwksCdn({ origin: 'http://127.0.0.1:4000', ttl: '10m', adminToken })
 * await cdn.listen({ port: 0, host: '127.0.0.1' })
 * ```
 */
export async function buildJwksCdn(options: JwksCdnOptions): Promise<FastifyInstance> {
  const originUrl = assertLoopbackUrl(options.origin, 'cdn.origin', options.allowExternal === true)
  const basePath = originUrl.pathname.replace(/\/+$/, '')
  const now = options.now ?? Date.now
  const originTimeoutMs = durationMs(options.originTimeout ?? '10s')
  const initial: RuntimeConfig = {
    ttl: optDuration(options.ttl, 'ttl'),
    staleWhileRevalidate: optDuration(options.staleWhileRevalidate, 'staleWhileRevalidate'),
    staleIfError: optDuration(options.staleIfError, 'staleIfError'),
    purgeDelay: optDuration(options.purgeDelay, 'purgeDelay') ?? '0s',
  }
  let config: RuntimeConfig = { ...initial }
  let ttlMs: number | null = null
  let swrMs: number | null = null
  let sieMs: number | null = null
  let purgeDelayMs = 0
  const applyConfig = () => {
    ttlMs = config.ttl === null ? null : durationMs(config.ttl)
    swrMs = config.staleWhileRevalidate === null ? null : durationMs(config.staleWhileRevalidate)
    sieMs = config.staleIfError === null ? null : durationMs(config.staleIfError)
    purgeDelayMs = durationMs(config.purgeDelay)
  }
  applyConfig()

  const cache = new Map<string, Entry>()
  const inflight = new Map<string, Promise<Fetched>>()
  const pendingPurges: Array<{
    path: string | null
    requestedAt: number
    effectiveAt: number
    timer?: NodeJS.Timeout
  }> = []
  const events = new EventLog(now)
  const stats = {
    hits: 0,
    misses: 0,
    stale: 0,
    revalidations: 0,
    originErrors: 0,
    lastAgeSeconds: null as number | null,
  }

  const pool = new Pool(originUrl.origin, { connections: 16, keepAliveTimeout: 10_000, pipelining: 1 })
  const registry = new Registry()
  const requests = new Counter({
    name: 'cdn_requests_total',
    help: 'requests served, by X-Cache result and source (probe: deliberate traffic)',
    labelNames: ['result', 'source'],
    registers: [registry],
  })
  const originFetches = new Counter({
    name: 'cdn_origin_fetches_total',
    help: 'origin fetches, by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  })
  new Gauge({
    name: 'cdn_entries',
    help: 'entries in the cache',
    registers: [registry],
    collect() {
      this.set(cache.size)
    },
  })
  const lastAge = new Gauge({
    name: 'cdn_last_age_seconds',
    help: 'Age of the last response served',
    registers: [registry],
  })

  const ageMs = (e: Entry, t: number) => e.originAgeMs + Math.max(0, t - e.storedAt)
  const freshMs = (e: Entry) => ttlMs ?? (e.directives.noCache ? 0 : (e.directives.maxAgeSeconds ?? 0) * 1000)
  const swrWindow = (e: Entry) => swrMs ?? (e.directives.staleWhileRevalidateSeconds ?? 0) * 1000
  const sieWindow = (e: Entry) => sieMs ?? (e.directives.staleIfErrorSeconds ?? 0) * 1000
  const pathOf = (key: string) => {
    const q = key.indexOf('?')
    return q === -1 ? key : key.slice(0, q)
  }

  const applyDuePurges = () => {
    if (pendingPurges.length === 0) return
    const t = now()
    for (let i = 0; i < pendingPurges.length; ) {
      const p = pendingPurges[i]!
      if (p.effectiveAt > t) {
        i++
        continue
      }
      pendingPurges.splice(i, 1)
      if (p.timer) clearTimeout(p.timer)
      let removed = 0
      for (const [key, e] of cache) {
        if (p.path === null || e.path === p.path) {
          cache.delete(key)
          removed++
        }
      }
      events.emit('cdn.purged', { path: p.path ?? '*', entries: removed, age: (t - p.requestedAt) / 1000 })
    }
  }

  const fetchOrigin = (key: string, prev: Entry | undefined): Promise<Fetched> => {
    const running = inflight.get(key)
    if (running) return running
    const p = (async (): Promise<Fetched> => {
      const headers: Record<string, string> = {
        accept: 'application/jwk-set+json, application/json;q=0.9, */*;q=0.8',
        'user-agent': 'oauth-gameday-cdn',
      }
      const etag = prev?.headers.etag
      const lastModified = prev?.headers['last-modified']
      if (typeof etag === 'string') headers['if-none-match'] = etag
      if (typeof lastModified === 'string') headers['if-modified-since'] = lastModified
      const res = await pool.request({
        path: basePath + key,
        method: 'GET',
        headers,
        signal: AbortSignal.timeout(originTimeoutMs),
      })
      const body = Buffer.from(await res.body.arrayBuffer())
      const resHeaders = forwardableHeaders(res.headers as Record<string, string | string[] | undefined>, DROP_RESPONSE)
      const originAge = Number(res.headers.age)
      const originAgeMs = Number.isFinite(originAge) && originAge > 0 ? originAge * 1000 : 0
      if (res.statusCode === 304 && prev) {
        Object.assign(prev.headers, resHeaders)
        prev.storedAt = now()
        prev.originAgeMs = originAgeMs
        prev.directives = parseCacheControl(prev.headers['cache-control'])
        cache.set(key, prev)
        return { status: prev.status, headers: prev.headers, body: prev.body, entry: prev }
      }
      const fetched: Fetched = { status: res.statusCode, headers: resHeaders, body }
      if (res.statusCode >= 500) return fetched
      const directives = parseCacheControl(resHeaders['cache-control'])
      if (STORABLE_STATUS.has(res.statusCode) && (ttlMs !== null || !directives.noStore)) {
        const entry: Entry = {
          key,
          path: pathOf(key),
          status: res.statusCode,
          headers: resHeaders,
          body,
          storedAt: now(),
          originAgeMs,
          directives,
        }
        cache.set(key, entry)
        fetched.entry = entry
      } else {
        cache.delete(key)
      }
      return fetched
    })()
    inflight.set(key, p)
    const done = () => inflight.delete(key)
    p.then(done, done)
    return p
  }

  const send = (
    reply: FastifyReply,
    status: number,
    headers: Record<string, string | string[]>,
    body: Buffer,
    result: CacheResult,
    ageSeconds: number,
  ) => {
    stats.lastAgeSeconds = ageSeconds
    lastAge.set(ageSeconds)
    requests.inc({ result, source: sourceOf(reply.request.headers) })
    return reply.code(status).headers(headers).header('age', String(ageSeconds)).header('x-cache', result).send(body)
  }

  const serveStale = (
    reply: FastifyReply,
    e: Entry,
    t: number,
    reason: 'stale-while-revalidate' | 'stale-if-error',
  ) => {
    const age = Math.floor(ageMs(e, t) / 1000)
    stats.stale++
    events.emit('cdn.stale_served', { path: e.key, age, reason })
    return send(reply, e.status, e.headers, e.body, 'STALE', age)
  }

  const originFailed = (key: string, t: number, e: Entry | undefined, detail: Record<string, unknown>) => {
    stats.originErrors++
    originFetches.inc({ outcome: 'error' })
    events.emit('cdn.origin_failed', { path: key, age: e ? Math.floor(ageMs(e, t) / 1000) : null, ...detail })
  }

  const revalidateInBackground = (key: string, e: Entry) => {
    if (inflight.has(key)) return
    fetchOrigin(key, e).then(
      (f) => {
        const t = now()
        if (f.status >= 500) return originFailed(key, t, e, { status: f.status, background: true })
        originFetches.inc({ outcome: 'ok' })
        stats.revalidations++
        events.emit('cdn.revalidated', {
          path: key,
          age: f.entry ? Math.floor(ageMs(f.entry, t) / 1000) : 0,
          background: true,
          status: f.status,
        })
      },
      (err: Error) => originFailed(key, now(), e, { error: err.name, background: true }),
    )
  }

  const handle = async (req: FastifyRequest, reply: FastifyReply) => {
    if (pendingPurges.length) applyDuePurges()
    const key = req.url
    const t = now()
    const e = cache.get(key)
    if (e) {
      const age = ageMs(e, t)
      const fresh = freshMs(e)
      if (age < fresh) {
        stats.hits++
        return send(reply, e.status, e.headers, e.body, 'HIT', Math.floor(age / 1000))
      }
      if (age < fresh + swrWindow(e)) {
        revalidateInBackground(key, e)
        return serveStale(reply, e, t, 'stale-while-revalidate')
      }
    }
    let f: Fetched
    try {
      f = await fetchOrigin(key, e)
    } catch (err) {
      const t2 = now()
      originFailed(key, t2, e, { error: (err as Error).name })
      if (e && ageMs(e, t2) < freshMs(e) + sieWindow(e)) return serveStale(reply, e, t2, 'stale-if-error')
      requests.inc({ result: 'MISS', source: sourceOf(reply.request.headers) })
      return reply.code(502).header('x-cache', 'MISS').send({ error: 'bad_gateway', message: 'origin unreachable' })
    }
    const t2 = now()
    if (f.status >= 500) {
      originFailed(key, t2, e, { status: f.status })
      if (e && ageMs(e, t2) < freshMs(e) + sieWindow(e)) return serveStale(reply, e, t2, 'stale-if-error')
      return send(reply, f.status, f.headers, f.body, 'MISS', 0)
    }
    originFetches.inc({ outcome: 'ok' })
    const age = f.entry ? Math.floor(ageMs(f.entry, t2) / 1000) : 0
    if (e) {
      stats.revalidations++
      events.emit('cdn.revalidated', { path: key, age, status: f.status })
      return send(reply, f.status, f.headers, f.body, 'REVALIDATED', age)
    }
    stats.misses++
    events.emit('cdn.miss', { path: key, age, status: f.status, stored: f.entry !== undefined })
    return send(reply, f.status, f.headers, f.body, 'MISS', age)
  }

  const entriesView = () => {
    const t = now()
    return [...cache.values()].map((e) => {
      const age = ageMs(e, t)
      return {
        path: e.key,
        ageSeconds: Math.floor(age / 1000),
        expiresInSeconds: Math.floor((freshMs(e) - age) / 1000),
      }
    })
  }

  const app = Fastify({
    ...fastifyLoggerOptions(options.logger, 'jwks-cdn'),
    forceCloseConnections: true,
  }) as unknown as FastifyInstance
  installErrorHandler(app)
  app.addHook('onClose', async () => {
    for (const p of pendingPurges) if (p.timer) clearTimeout(p.timer)
    await pool.close()
  })
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()))
  app.get('/*', handle)
  app.route({
    method: ['POST', 'PUT', 'PATCH', 'DELETE'],
    url: '/*',
    handler: async (_req, reply) =>
      reply
        .code(405)
        .header('allow', 'GET, HEAD')
        .send({ error: 'method_not_allowed', message: 'the cdn caches GET and HEAD only' }),
  })

  controlScope(app, '/_cdn', options.adminToken, (api) => {
    api.put('/config', async (req) => {
      const body = validateInput<Partial<RuntimeConfig>>(CdnConfigSchema, req.body ?? {}, 'body')
      const next = { ...config, ...body }
      config = next
      applyConfig()
      events.emit('cdn.config_changed', { path: '*', age: null, changes: body })
      app.log.info({ changes: body }, 'cdn.config_changed')
      return { config }
    })
    api.post('/purge', async (req) => {
      const body = validateInput<{ path?: string }>(PurgeSchema, req.body ?? {}, 'body')
      const t = now()
      const purge: (typeof pendingPurges)[number] = {
        path: body.path ?? null,
        requestedAt: t,
        effectiveAt: t + purgeDelayMs,
      }
      pendingPurges.push(purge)
      events.emit('cdn.purge_requested', {
        path: purge.path ?? '*',
        age: 0,
        effectiveAt: purge.effectiveAt,
        delayMs: purgeDelayMs,
      })
      app.log.info({ path: purge.path ?? '*', delayMs: purgeDelayMs }, 'cdn.purge_requested')
      if (purgeDelayMs === 0) applyDuePurges()
      else {
        purge.timer = setTimeout(applyDuePurges, purgeDelayMs)
        purge.timer.unref()
      }
      return { effectiveAt: purge.effectiveAt }
    })
    api.get('/stats', async () => {
      applyDuePurges()
      return { ...stats, entries: entriesView() }
    })
    api.get('/state', async () => {
      applyDuePurges()
      return {
        origin: originUrl.href,
        config,
        entries: entriesView(),
        pendingPurges: pendingPurges.map((p) => ({ path: p.path ?? '*', effectiveAt: p.effectiveAt })),
        inflight: inflight.size,
      }
    })
    api.post('/reset', async () => {
      for (const p of pendingPurges) if (p.timer) clearTimeout(p.timer)
      pendingPurges.length = 0
      cache.clear()
      Object.assign(stats, { hits: 0, misses: 0, stale: 0, revalidations: 0, originErrors: 0, lastAgeSeconds: null })
      config = { ...initial }
      applyConfig()
      events.emit('cdn.reset', { path: '*', age: null })
      return { status: 'ok' }
    })
    registerEventsRoute(api, events)
    api.all('/*', async (_req, reply) => reply.code(404).send({ error: 'not_found', message: 'unknown /_cdn route' }))
  })
  return app
}
