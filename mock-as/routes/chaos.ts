/**
 * The chaos control API under /_chaos (Bearer admin token; off without one).
 * Each call changes one knob and records a `chaos.changed` event; bad input
 * is a 400 with a JSON error naming the field.
 */
import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { RotateRequest } from '../control.ts'
import { parseDuration } from '../../src/util/duration.ts'
import { adminTokenMatches } from '../../src/util/component/admin-auth.ts'
import { type AsContext, defaultChaos } from '../context.ts'
import { AS_DPOP_ALGS, type AsDpopSettings, createAsDpop, dpopSettings } from '../dpop.ts'
import { ALGS, signPending } from '../keys.ts'

class BadInput extends Error {}

function jsonBody(req: FastifyRequest): Record<string, unknown> {
  const raw = req.body
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : typeof raw === 'string' ? raw : ''
  if (text.trim() === '') return {}
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    throw new BadInput('body: not valid JSON')
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new BadInput('body: must be a JSON object')
  return v as Record<string, unknown>
}

function num(
  body: Record<string, unknown>,
  key: string,
  opts: { min?: number; max?: number; optional?: boolean; integer?: boolean } = {},
): number | undefined {
  const v = body[key]
  if (v === undefined && opts.optional) return undefined
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new BadInput(`${key}: must be a number (got ${JSON.stringify(v) ?? 'nothing'})`)
  if (opts.integer && !Number.isInteger(v)) throw new BadInput(`${key}: must be an integer (got ${v})`)
  if (opts.min !== undefined && v < opts.min) throw new BadInput(`${key}: must be >= ${opts.min} (got ${v})`)
  if (opts.max !== undefined && v > opts.max) throw new BadInput(`${key}: must be <= ${opts.max} (got ${v})`)
  return v
}

function str(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key]
  if (v === undefined) return undefined
  if (typeof v !== 'string' || v === '')
    throw new BadInput(`${key}: must be a non-empty string (got ${JSON.stringify(v)})`)
  return v
}

function only(body: Record<string, unknown>, keys: string[]): void {
  for (const k of Object.keys(body))
    if (!keys.includes(k)) throw new BadInput(`${k}: unknown key (expected one of ${keys.join(', ')})`)
}

const DPOP_KNOBS = [
  'nonceRequired',
  'nonceLifetimeMs',
  'iatPastSeconds',
  'iatFutureSeconds',
  'replayCacheEnabled',
  'replayCacheMaxEntries',
  'algs',
] as const

const ROTATION_MODES = ['publish-then-sign', 'sign-before-publish', 'drop-old-early', 'wrong-alg']

export interface ChaosHooks {
  setRateLimit(limit: { rate: number; burst: number } | null): void
}

export function chaosRoutes(app: FastifyInstance, ctx: AsContext, adminToken: string, hooks: ChaosHooks): void {
  // open SSE streams never go idle, so they are ended before the server closes
  const streams = new Set<import('node:http').ServerResponse>()
  app.addHook('preClose', async () => {
    for (const res of streams) res.end()
    streams.clear()
  })
  app.register(async (scope) => {
    scope.addHook('onRequest', async (req, reply) => {
      if (!adminTokenMatches(req.headers.authorization, adminToken)) {
        return reply
          .code(401)
          .header('www-authenticate', 'Bearer realm="mock-as-chaos"')
          .send({ error: 'unauthorized', error_description: 'admin bearer token required' })
      }
    })
    scope.setErrorHandler(async (err: Error & { statusCode?: number }, _req, reply) => {
      if (err instanceof BadInput || err instanceof RangeError)
        return reply.code(400).send({ error: 'invalid_request', error_description: err.message })
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500
      if (status === 500) ctx.log.error({ err }, 'chaos.failed')
      return reply.code(status).send({
        error: status === 500 ? 'server_error' : 'invalid_request',
        error_description: status === 500 ? 'internal error' : err.message,
      })
    })
    const changed = (what: string, data: Record<string, unknown>) => {
      ctx.events.emit('chaos.changed', { what, ...data })
      ctx.log.info({ what, ...data }, 'chaos.changed')
    }

    scope.get('/_chaos/state', async () => state(ctx))
    scope.post('/_chaos/reset', async () => {
      const keep = ctx.config
      Object.assign(ctx.chaos, defaultChaos(keep))
      ctx.chaos.tokenLatency = {}
      ctx.chaos.tokenErrors = {}
      ctx.clock.offsetSeconds = 0
      hooks.setRateLimit(null)
      ctx.keys.reset()
      ctx.dpop = createAsDpop(dpopSettings(keep), () => ctx.clock.now())
      changed('reset', {})
      return state(ctx)
    })
    scope.get('/_chaos/events', async (req) => {
      const raw = (req.query as Record<string, unknown>).since
      const since = raw === undefined ? 0 : Number(raw)
      if (Array.isArray(raw) || !Number.isInteger(since) || since < 0)
        throw new BadInput(`since: must be an integer >= 0 (got ${JSON.stringify(raw)})`)
      return { events: ctx.events.since(since) }
    })
    scope.get('/_chaos/events/stream', (req: FastifyRequest, reply: FastifyReply) => {
      const raw = (req.query as Record<string, unknown>).since ?? req.headers['last-event-id']
      const since = raw === undefined ? 0 : Number(raw)
      reply.hijack()
      const res = reply.raw
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' })
      const write = (e: { seq: number; type: string }) =>
        res.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`)
      for (const e of ctx.events.since(Number.isInteger(since) && since >= 0 ? since : 0)) write(e)
      const ping = setInterval(() => res.write(': ping\n\n'), 15_000)
      ping.unref()
      ctx.events.emitter.on('event', write)
      streams.add(res)
      const done = () => {
        streams.delete(res)
        clearInterval(ping)
        ctx.events.emitter.off('event', write)
      }
      req.raw.on('close', done)
      res.on('close', done)
    })
    scope.post('/_chaos/rotate', async (req) => {
      const body = jsonBody(req)
      only(body, ['mode', 'leadTime', 'retireAfter', 'unpublishedFor', 'alg'])
      const mode = str(body, 'mode')
      if (mode === undefined || !ROTATION_MODES.includes(mode))
        throw new BadInput(`mode: must be one of ${ROTATION_MODES.join(', ')} (got ${JSON.stringify(body.mode)})`)
      const r: RotateRequest = { mode: mode as RotateRequest['mode'] }
      for (const k of ['leadTime', 'retireAfter', 'unpublishedFor'] as const) {
        const v = str(body, k)
        if (v !== undefined) {
          if (parseDuration(v) === undefined)
            throw new BadInput(`${k}: must be a duration like 5s (got ${JSON.stringify(v)})`)
          r[k] = v
        }
      }
      const alg = str(body, 'alg')
      if (alg !== undefined) {
        if (!(ALGS as readonly string[]).includes(alg))
          throw new BadInput(`alg: must be one of ${ALGS.join(', ')} (got ${JSON.stringify(alg)})`)
        r.alg = alg
      }
      const result = ctx.keys.rotate(r)
      changed('rotate', { ...r, oldKid: result.oldKid, newKid: result.newKid })
      return result
    })
    scope.post('/_chaos/mint', async (req) => {
      const body = jsonBody(req)
      only(body, ['claims', 'typ'])
      const claims = body.claims ?? {}
      if (claims === null || typeof claims !== 'object' || Array.isArray(claims))
        throw new BadInput('claims: must be a JSON object')
      const typ = body.typ === undefined ? ctx.config.accessTokenTyp : body.typ
      if (typ !== null && (typeof typ !== 'string' || typ.length > 100))
        throw new BadInput(`typ: must be a string of at most 100 characters or null (got ${JSON.stringify(body.typ)})`)
      const iat = ctx.clock.nowSeconds()
      const payload: Record<string, unknown> = {
        iss: ctx.issuer,
        sub: 'gameday-probe',
        aud: ctx.config.clients?.find((c) => c.audience)?.audience ?? 'https://api.example',
        iat,
        nbf: iat,
        exp: iat + Math.floor(ctx.ttl.accessToken / 1000),
        jti: randomUUID(),
        client_id: 'gameday-probe',
      }
      for (const [k, v] of Object.entries(claims as Record<string, unknown>)) {
        if (v === null) delete payload[k]
        else payload[k] = v
      }
      const pending = ctx.keys.prepareCustomJwt(payload, typ)
      const token = await signPending(pending)
      const jti = typeof payload.jti === 'string' ? payload.jti : null
      changed('mint', { jti, kid: pending.kid, claims: Object.keys(claims as object), typ })
      return { token, jti, kid: pending.kid }
    })
    scope.put('/_chaos/clock', async (req) => {
      const body = jsonBody(req)
      only(body, ['offsetSeconds'])
      const offset = num(body, 'offsetSeconds', { min: -10 * 365 * 86400, max: 10 * 365 * 86400 })!
      ctx.clock.offsetSeconds = offset
      changed('clock', { offsetSeconds: offset })
      return { offsetSeconds: offset }
    })
    scope.put('/_chaos/token-latency', async (req) => {
      const body = jsonBody(req)
      only(body, ['grantType', 'fixedMs', 'jitterMs'])
      const grantType = str(body, 'grantType') ?? '*'
      const fixedMs = num(body, 'fixedMs', { min: 0, max: 600_000 })!
      const jitterMs = num(body, 'jitterMs', { min: 0, max: 600_000, optional: true }) ?? 0
      if (fixedMs === 0 && jitterMs === 0) delete ctx.chaos.tokenLatency[grantType]
      else ctx.chaos.tokenLatency[grantType] = { fixedMs, jitterMs }
      changed('token-latency', { grantType, fixedMs, jitterMs })
      return { grantType, fixedMs, jitterMs }
    })
    scope.put('/_chaos/token-errors', async (req) => {
      const body = jsonBody(req)
      only(body, ['grantType', 'status', 'ratio'])
      const grantType = str(body, 'grantType') ?? '*'
      const status = num(body, 'status', { min: 400, max: 599, integer: true })!
      const ratio = num(body, 'ratio', { min: 0, max: 1 })!
      if (ratio === 0) delete ctx.chaos.tokenErrors[grantType]
      else ctx.chaos.tokenErrors[grantType] = { status, ratio }
      changed('token-errors', { grantType, status, ratio })
      return { grantType, status, ratio }
    })
    scope.put('/_chaos/token-cost', async (req) => {
      const body = jsonBody(req)
      only(body, ['cpuMs'])
      const cpuMs = num(body, 'cpuMs', { min: 0, max: 10_000 })!
      ctx.chaos.tokenCostCpuMs = cpuMs
      changed('token-cost', { cpuMs })
      return { cpuMs }
    })
    scope.put('/_chaos/introspection-rate-limit', async (req) => {
      const body = jsonBody(req)
      only(body, ['rate', 'burst'])
      const rate = num(body, 'rate', { min: 0, max: 1e6 })!
      const burst = num(body, 'burst', { min: 1, max: 1e6 })!
      hooks.setRateLimit({ rate, burst })
      ctx.chaos.introspectionRateLimit = { rate, burst }
      changed('introspection-rate-limit', { rate, burst })
      return { rate, burst }
    })
    scope.delete('/_chaos/introspection-rate-limit', async () => {
      hooks.setRateLimit(null)
      ctx.chaos.introspectionRateLimit = null
      changed('introspection-rate-limit', { rate: null, burst: null })
      return { rate: null, burst: null }
    })
    scope.put('/_chaos/refresh-reuse-detection', async (req) => {
      const body = jsonBody(req)
      only(body, ['enabled'])
      if (typeof body.enabled !== 'boolean')
        throw new BadInput(`enabled: must be a boolean (got ${JSON.stringify(body.enabled)})`)
      ctx.chaos.refreshReuseDetection = body.enabled
      changed('refresh-reuse-detection', { enabled: body.enabled })
      return { enabled: body.enabled }
    })
    scope.put('/_chaos/dpop', async (req) => {
      const body = jsonBody(req)
      only(body, [...DPOP_KNOBS])
      const next: AsDpopSettings = { ...ctx.dpop.settings }
      for (const k of ['nonceRequired', 'replayCacheEnabled'] as const) {
        if (body[k] === undefined) continue
        if (typeof body[k] !== 'boolean') throw new BadInput(`${k}: must be a boolean (got ${JSON.stringify(body[k])})`)
        next[k] = body[k]
      }
      const day = 86_400
      next.iatPastSeconds = num(body, 'iatPastSeconds', { min: 0, max: day, optional: true }) ?? next.iatPastSeconds
      next.iatFutureSeconds =
        num(body, 'iatFutureSeconds', { min: 0, max: day, optional: true }) ?? next.iatFutureSeconds
      next.nonceLifetimeMs =
        num(body, 'nonceLifetimeMs', { min: 1, max: day * 1000, optional: true, integer: true }) ?? next.nonceLifetimeMs
      next.replayCacheMaxEntries =
        num(body, 'replayCacheMaxEntries', { min: 1, max: 10_000_000, optional: true, integer: true }) ??
        next.replayCacheMaxEntries
      if (body.algs !== undefined) {
        const algs = body.algs
        if (
          !Array.isArray(algs) ||
          algs.length === 0 ||
          !algs.every((a) => (AS_DPOP_ALGS as readonly unknown[]).includes(a))
        )
          throw new BadInput(
            `algs: must be a non-empty list of ${AS_DPOP_ALGS.join(', ')} (got ${JSON.stringify(algs)})`,
          )
        next.algs = algs as AsDpopSettings['algs']
      }
      // a new window or size needs a new cache; the nonce source keeps its nonce unless its lifetime changed
      const fresh = createAsDpop(next, () => ctx.clock.now())
      const sameCache =
        next.iatPastSeconds === ctx.dpop.settings.iatPastSeconds &&
        next.iatFutureSeconds === ctx.dpop.settings.iatFutureSeconds &&
        next.replayCacheMaxEntries === ctx.dpop.settings.replayCacheMaxEntries
      ctx.dpop = {
        settings: next,
        replay: sameCache ? ctx.dpop.replay : fresh.replay,
        nonces: next.nonceLifetimeMs === ctx.dpop.settings.nonceLifetimeMs ? ctx.dpop.nonces : fresh.nonces,
        rejected: ctx.dpop.rejected,
      }
      changed('dpop', { ...next })
      return next
    })
    scope.put('/_chaos/assertion-audience', async (req) => {
      const body = jsonBody(req)
      only(body, ['audience'])
      const audience = body.audience
      if (audience !== 'issuer' && audience !== 'issuer-or-token-endpoint')
        throw new BadInput(`audience: must be issuer or issuer-or-token-endpoint (got ${JSON.stringify(audience)})`)
      ctx.chaos.assertionAudience = audience
      changed('assertion-audience', { audience })
      return { audience }
    })
    scope.post('/_chaos/revoke', async (req) => {
      const body = jsonBody(req)
      only(body, ['clientId', 'sub'])
      const clientId = str(body, 'clientId')
      const sub = str(body, 'sub')
      if (clientId === undefined && sub === undefined) throw new BadInput('clientId or sub is required')
      const revoked = revokeMatching(ctx, clientId, sub)
      changed('revoke', { client_id: clientId, sub, revoked })
      return { revoked }
    })
  })
}

/** Revoke every live token (and grant) of a client and/or subject. */
function revokeMatching(ctx: AsContext, clientId: string | undefined, sub: string | undefined): number {
  const match = (r: { clientId: string; sub: string }) =>
    (clientId === undefined || r.clientId === clientId) && (sub === undefined || r.sub === sub)
  const nowS = ctx.clock.nowSeconds()
  let n = 0
  for (const g of ctx.store.grants.values()) {
    if (!g.revoked && match(g)) {
      const k = ctx.store.revokeGrant(g.id)
      n += k
      ctx.events.emit('grant.revoked', {
        client_id: g.clientId,
        sub: g.sub,
        grantId: g.id,
        reason: 'chaos_revoke',
        revoked: k,
      })
    }
  }
  for (const a of ctx.store.access.values()) {
    if (!a.revoked && a.exp > nowS && match(a)) {
      a.revoked = true
      n++
    }
  }
  return n + ctx.store.revokeStateless(clientId, sub, nowS)
}

function state(ctx: AsContext): Record<string, unknown> {
  let liveAccess = 0
  for (const a of ctx.store.access.values()) if (!a.revoked) liveAccess++
  return {
    issuer: ctx.issuer,
    clockOffsetSeconds: ctx.clock.offsetSeconds,
    tokenLatency: ctx.chaos.tokenLatency,
    tokenErrors: ctx.chaos.tokenErrors,
    tokenCost: { cpuMs: ctx.chaos.tokenCostCpuMs },
    introspectionRateLimit: ctx.chaos.introspectionRateLimit,
    refreshReuseDetection: ctx.chaos.refreshReuseDetection,
    dpop: {
      ...ctx.dpop.settings,
      replayCache: { size: ctx.dpop.replay.size, evictions: ctx.dpop.replay.evictions },
      rejected: ctx.dpop.rejected,
    },
    assertionAudience: ctx.chaos.assertionAudience,
    signingKid: ctx.keys.signing.kid,
    keys: ctx.keys.view(),
    counts: {
      accessTokens: liveAccess,
      refreshTokens: ctx.store.refresh.size,
      grants: ctx.store.grants.size,
      codes: ctx.store.codes.size,
    },
    lastEventSeq: ctx.events.since(0).at(-1)?.seq ?? 0,
  }
}
