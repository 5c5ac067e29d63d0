/**
 * HTTP fault proxy: a reverse proxy in the spirit of Toxiproxy, but aware of
 * HTTP, so a game day can break one path (the token endpoint, introspection,
 * the JWKS) rather than a whole TCP link. Every method, path, query, header
 * and body is forwarded upstream and the response is streamed back; toxics
 * (latency, error, rate-limit, timeout, reset, slow-body) are added, changed
 * and removed at run time through `/_proxy`, each optionally limited to a
 * path prefix and a share of requests (`toxicity`). Authorization headers
 * and bodies are never logged.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { pipeline } from 'node:stream/promises'
import { type Static, Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { Counter, Registry } from 'prom-client'
import { Pool } from 'undici'
import type { Logger } from '../src/log.ts'
import type { Toxic, ToxicType } from './control.ts'
import { assertLoopbackUrl } from '../src/util/loopback.ts'
import { durationMs } from '../src/util/duration.ts'
import {
  ControlInputError,
  controlScope,
  EventLog,
  fastifyLoggerOptions,
  forwardableHeaders,
  installErrorHandler,
  registerEventsRoute,
  validateInput,
} from '../src/util/component/common.ts'
import { type ToxicContext, type ToxicDefinition, toxics as registry } from './toxics/index.ts'
import { sourceOf } from '../src/util/component/probe-traffic.ts'

/** Options of {@link buildFaultProxy}. */
export interface FaultProxyOptions {
  /** Base URL requests are forwarded to; the request path is appended to it. */
  upstream: string
  /** Bearer token of `/_proxy`; without it the control API is off. */
  adminToken?: string
  /** Clock in epoch ms (the rate-limit bucket and events use it). */
  now?: () => number
  /** Randomness for toxicity and jitter (seed it for repeatable runs). */
  random?: () => number
  logger?: Logger | false
  /** Allow a non-loopback upstream (named explicitly as an external component). */
  allowExternal?: boolean
  /** Longest hold of the timeout toxic; default 2m. */
  maxHold?: string
}

const TOXIC_TYPES = Object.keys(registry) as ToxicType[]

/** Body of `POST /_proxy/toxics` (the Toxic of ./control.ts). */
export const ToxicSchema = Type.Object(
  {
    type: Type.Union(
      TOXIC_TYPES.map((t) => Type.Literal(t)),
      { description: 'toxic type' },
    ),
    name: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9_.-]{1,64}$',
        description: 'unique name; default derived from type and pathPrefix',
      }),
    ),
    pathPrefix: Type.Optional(Type.String({ pattern: '^/', description: 'only requests whose path starts with this' })),
    toxicity: Type.Optional(
      Type.Number({ minimum: 0, maximum: 1, description: 'share of matching requests affected, 0–1 (default 1)' }),
    ),
    attributes: Type.Optional(
      Type.Record(Type.String(), Type.Union([Type.Number(), Type.String()]), {
        description: 'type-specific attributes',
      }),
    ),
  },
  { additionalProperties: false },
)

/** Body of `PATCH /_proxy/toxics/:name`: attributes are merged into the current ones. */
export const ToxicPatchSchema = Type.Object(
  {
    pathPrefix: Type.Optional(
      Type.Union([Type.String({ pattern: '^/' }), Type.Null()], { description: 'new prefix; null: every path' }),
    ),
    toxicity: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    attributes: Type.Optional(Type.Record(Type.String(), Type.Union([Type.Number(), Type.String()]))),
  },
  { additionalProperties: false },
)

interface ActiveToxic {
  name: string
  type: ToxicType
  pathPrefix?: string
  toxicity: number
  attributes: Record<string, number | string>
  def: ToxicDefinition
  params: Record<string, unknown>
  state: unknown
}

// request headers the proxy rewrites or undici refuses
const DROP_REQUEST = ['host', 'expect', 'content-length']

function publicView(t: ActiveToxic): Toxic & { toxicity: number; name: string } {
  return {
    name: t.name,
    type: t.type,
    ...(t.pathPrefix ? { pathPrefix: t.pathPrefix } : {}),
    toxicity: t.toxicity,
    attributes: t.attributes,
  }
}

/**
 * Build the fault proxy (not listening).
 *
 * @example
 * ```ts
 * const proxy = await buildFaultProxy({ upstream: issuer, adminToken })
 * await proxy.listen({ port: 0, host: '127.0.0.1' })
 * ```
 */
export async function buildFaultProxy(options: FaultProxyOptions): Promise<FastifyInstance> {
  const upstreamUrl = assertLoopbackUrl(options.upstream, 'proxy.upstream', options.allowExternal === true)
  const basePath = upstreamUrl.pathname.replace(/\/+$/, '')
  const now = options.now ?? Date.now
  const random = options.random ?? Math.random
  const maxHoldMs = durationMs(options.maxHold ?? '2m')
  const active = new Map<string, ActiveToxic>()
  const events = new EventLog(now)
  const inflight = new Set<AbortController>()
  const stats = {
    requests: 0,
    forwarded: 0,
    upstreamErrors: 0,
    byToxic: {} as Record<string, number>,
    byType: {} as Record<string, number>,
  }

  const pool = new Pool(upstreamUrl.origin, { connections: 64, keepAliveTimeout: 10_000 })
  const metrics = new Registry()
  const requestsTotal = new Counter({
    name: 'proxy_requests_total',
    help: 'requests received (control API excluded), by source (probe: deliberate traffic)',
    labelNames: ['source'],
    registers: [metrics],
  })
  const appliedTotal = new Counter({
    name: 'proxy_toxic_applied_total',
    help: 'requests a toxic acted on',
    labelNames: ['toxic', 'type'],
    registers: [metrics],
  })
  const upstreamErrorsTotal = new Counter({
    name: 'proxy_upstream_errors_total',
    help: 'upstream calls that failed (502/504 answered)',
    registers: [metrics],
  })

  const makeToxic = (input: Toxic, name: string): ActiveToxic => {
    const def = registry[input.type]
    const attributes = { ...(input.attributes ?? {}) }
    const params = validateInput<Record<string, unknown>>(
      def.params,
      Value.Default(def.params, Value.Clone(attributes)),
      'body.attributes',
    )
    let toxicity = input.toxicity
    if (input.type === 'error' && typeof params.ratio === 'number') {
      if (toxicity !== undefined && toxicity !== params.ratio) {
        throw new ControlInputError(
          `body.attributes.ratio: must equal toxicity when both are given (got ratio ${params.ratio}, toxicity ${toxicity})`,
        )
      }
      toxicity = params.ratio
    }
    return {
      name,
      type: input.type,
      ...(input.pathPrefix ? { pathPrefix: input.pathPrefix } : {}),
      toxicity: toxicity ?? 1,
      attributes,
      def,
      params,
      state: def.init ? def.init(params as never) : undefined,
    }
  }

  const defaultName = (t: Toxic): string => {
    const base = t.pathPrefix
      ? `${t.type}_${t.pathPrefix.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^_+|_+$/g, '')}`
      : t.type
    let name = base.slice(0, 60) || t.type
    for (let i = 2; active.has(name); i++) name = `${base.slice(0, 60)}_${i}`
    return name
  }

  const respondError = (res: ServerResponse, status: number, error: string, message: string) => {
    if (res.headersSent || res.destroyed) return void res.destroy()
    const body = JSON.stringify({ error, message })
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'x-fault-proxy': 'upstream-error',
    })
    res.end(body)
  }

  const forward = async (request: FastifyRequest, reply: FastifyReply) => {
    reply.hijack()
    const req: IncomingMessage = request.raw
    const res: ServerResponse = reply.raw
    stats.requests++
    requestsTotal.inc({ source: sourceOf(req.headers) })
    const ac = new AbortController()
    inflight.add(ac)
    const onClose = () => {
      if (!res.writableFinished) ac.abort()
    }
    res.once('close', onClose)
    try {
      const url = req.url ?? '/'
      const q = url.indexOf('?')
      const path = q === -1 ? url : url.slice(0, q)
      const hits: ActiveToxic[] = []
      for (const t of active.values()) {
        if (t.pathPrefix && !path.startsWith(t.pathPrefix)) continue
        if (t.toxicity < 1 && !(random() < t.toxicity)) continue
        hits.push(t)
        stats.byToxic[t.name] = (stats.byToxic[t.name] ?? 0) + 1
        stats.byType[t.type] = (stats.byType[t.type] ?? 0) + 1
        appliedTotal.inc({ toxic: t.name, type: t.type })
      }
      const ctxOf = (t: ActiveToxic): ToxicContext => ({
        req,
        res,
        state: t.state,
        now,
        random,
        signal: ac.signal,
        maxHoldMs,
      })
      for (const t of hits) {
        if (!t.def.onRequest) continue
        if ((await t.def.onRequest(ctxOf(t), t.params as never)) === 'handled') return
        if (ac.signal.aborted) return
      }
      const cl = req.headers['content-length']
      const hasBody = req.headers['transfer-encoding'] !== undefined || (cl !== undefined && cl !== '0')
      const headers = forwardableHeaders(req.headers, DROP_REQUEST)
      headers.host = upstreamUrl.host
      if (hasBody && cl !== undefined) headers['content-length'] = cl
      const xff = req.headers['x-forwarded-for']
      headers['x-forwarded-for'] = xff ? `${xff}, ${req.socket.remoteAddress ?? ''}` : (req.socket.remoteAddress ?? '')
      headers['x-forwarded-host'] = req.headers.host ?? ''
      headers['x-forwarded-proto'] = 'http'
      let upstream: Awaited<ReturnType<Pool['request']>>
      try {
        upstream = await pool.request({
          path: basePath + url,
          method: req.method as 'GET',
          headers,
          ...(hasBody ? { body: req } : {}),
          signal: ac.signal,
        })
      } catch (err) {
        if (ac.signal.aborted) return
        stats.upstreamErrors++
        upstreamErrorsTotal.inc()
        const e = err as Error & { code?: string }
        const timedOut = e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_CONNECT_TIMEOUT'
        request.log.warn({ code: e.code, path }, 'upstream.failed')
        return respondError(
          res,
          timedOut ? 504 : 502,
          timedOut ? 'gateway_timeout' : 'bad_gateway',
          `upstream ${timedOut ? 'timed out' : 'unreachable'} (${e.code ?? e.name})`,
        )
      }
      stats.forwarded++
      const resHeaders = forwardableHeaders(upstream.headers as Record<string, string | string[] | undefined>)
      res.writeHead(upstream.statusCode, resHeaders)
      const transforms = hits
        .filter((t) => t.def.onResponseBody)
        .map((t) => t.def.onResponseBody!(ctxOf(t), t.params as never))
      try {
        await pipeline([upstream.body, ...transforms, res])
      } catch {
        // the client left or the upstream broke mid-body: the socket is already torn down
        res.destroy()
      }
    } finally {
      inflight.delete(ac)
      res.off('close', onClose)
    }
  }

  const app = Fastify({
    ...fastifyLoggerOptions(options.logger, 'fault-proxy'),
    forceCloseConnections: true,
  }) as unknown as FastifyInstance
  installErrorHandler(app)
  app.addHook('preClose', async () => {
    for (const ac of inflight) ac.abort()
  })
  app.addHook('onClose', async () => {
    await pool.destroy()
  })
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/metrics', async (_req, reply) => reply.type(metrics.contentType).send(await metrics.metrics()))
  app.register(async (scope) => {
    // bodies are streamed upstream untouched, never parsed
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null))
    scope.all('/*', forward)
    scope.all('/', forward)
  })

  controlScope(app, '/_proxy', options.adminToken, (api) => {
    api.get('/toxic-types', async () => ({
      types: Object.values(registry).map((d) => ({ type: d.type, summary: d.summary, params: d.params })),
    }))
    api.post('/toxics', async (req, reply) => {
      const body = validateInput<Static<typeof ToxicSchema>>(ToxicSchema, req.body ?? {}, 'body')
      if (body.name && active.has(body.name))
        throw new ControlInputError(
          `body.name: a toxic named ${JSON.stringify(body.name)} exists (remove it or PATCH it)`,
          409,
        )
      const toxic = makeToxic(body as Toxic, body.name ?? defaultName(body as Toxic))
      active.set(toxic.name, toxic)
      const view = publicView(toxic)
      events.emit('toxic.added', view as unknown as Record<string, unknown>)
      app.log.info(
        { toxic: toxic.name, type: toxic.type, pathPrefix: toxic.pathPrefix, toxicity: toxic.toxicity },
        'toxic.added',
      )
      return reply.code(201).send(view)
    })
    api.patch('/toxics/:name', async (req) => {
      const { name } = req.params as { name: string }
      const current = active.get(name)
      if (!current) throw new ControlInputError(`toxic ${JSON.stringify(name)} not found`, 404)
      const body = validateInput<Static<typeof ToxicPatchSchema>>(ToxicPatchSchema, req.body ?? {}, 'body')
      const pathPrefix = body.pathPrefix === undefined ? current.pathPrefix : (body.pathPrefix ?? undefined)
      const attributes = { ...current.attributes, ...(body.attributes ?? {}) }
      let toxicity: number | undefined = body.toxicity ?? current.toxicity
      // ratio and toxicity are one knob for the error toxic: the one sent now wins
      if (body.toxicity !== undefined && body.attributes?.ratio === undefined) delete attributes.ratio
      if (body.toxicity === undefined && body.attributes?.ratio !== undefined) toxicity = undefined
      const next = makeToxic(
        {
          type: current.type,
          ...(pathPrefix ? { pathPrefix } : {}),
          ...(toxicity === undefined ? {} : { toxicity }),
          attributes,
        },
        name,
      )
      // keep the bucket (and any other state) when only the scope changed
      if (!body.attributes) next.state = current.state
      active.set(name, next)
      const view = publicView(next)
      events.emit('toxic.updated', view as unknown as Record<string, unknown>)
      app.log.info({ toxic: name, type: next.type }, 'toxic.updated')
      return view
    })
    api.delete('/toxics/:name', async (req, reply) => {
      const { name } = req.params as { name: string }
      const current = active.get(name)
      if (!current) throw new ControlInputError(`toxic ${JSON.stringify(name)} not found`, 404)
      active.delete(name)
      events.emit('toxic.removed', { name, type: current.type })
      app.log.info({ toxic: name, type: current.type }, 'toxic.removed')
      return reply.code(204).send()
    })
    api.get('/toxics', async () => ({ toxics: [...active.values()].map(publicView) }))
    api.get('/stats', async () => ({ ...stats, toxics: active.size }))
    api.get('/state', async () => ({
      upstream: upstreamUrl.href,
      toxics: [...active.values()].map(publicView),
      inflight: inflight.size,
    }))
    api.post('/reset', async () => {
      for (const t of active.values()) events.emit('toxic.removed', { name: t.name, type: t.type, reason: 'reset' })
      active.clear()
      Object.assign(stats, { requests: 0, forwarded: 0, upstreamErrors: 0, byToxic: {}, byType: {} })
      return { status: 'ok' }
    })
    registerEventsRoute(api, events)
    api.all('/*', async (_req, reply) => reply.code(404).send({ error: 'not_found', message: 'unknown /_proxy route' }))
  })
  return app
}
