/**
 * Build one reference resource server: a fastify instance whose token
 * validation follows a named profile (see `profiles.ts`) plus knob overrides.
 * Only `main.ts` listens; tests use the instance directly.
 */
import formbody from '@fastify/formbody'
import Fastify, { type FastifyInstance } from 'fastify'
import { GamedayError } from '../src/errors.ts'
import type { Logger } from '../src/log.ts'
import { closeKeptAliveOnShutdown } from '../src/util/close-kept-alive.ts'
import { durationMs } from '../src/util/duration.ts'
import { registerSecret } from '../src/util/secrets.ts'
import type { RsContext } from './context.ts'
import { discover } from './discovery.ts'
import { RsDpop } from './dpop.ts'
import { Introspector } from './introspection.ts'
import { JwksCache } from './jwks-cache.ts'
import { createJwtValidator } from './jwt-validator.ts'
import type { ProfileName, RsKnobs } from './options.ts'
import { DEFAULT_PROFILE, resolveKnobs } from './profiles.ts'
import { controlRoutes } from './routes/control.ts'
import { ordersRoutes } from './routes/orders.ts'
import { Telemetry } from './telemetry.ts'

export interface ResourceServerOptions {
  /** Issuer URL of the AS whose tokens this RS accepts. */
  issuer: string
  /** JWKS URL; default: discovered from the issuer metadata (RFC 8414, then openid-configuration). */
  jwksUri?: string
  /** RFC 7662 endpoint; default: discovered (introspection mode only). */
  introspectionEndpoint?: string
  /** Credentials the RS introspects with; default: mock-as's documented `rs` / `rs-secret` client. */
  introspectionClient?: { clientId: string; clientSecret: string }
  /** Expected `aud`; default https://api.example. */
  audience?: string
  profile?: ProfileName
  /** Knobs on top of the profile. */
  knobs?: Partial<RsKnobs>
  /** Scope of `GET /api/orders`; default orders:read. */
  readScope?: string
  /** Scope of `POST /api/orders`; default orders:write. */
  writeScope?: string
  /** Name in reports, in the realm and in the event source (`rs:<name>`); default mock-rs. */
  name?: string
  /** Bearer token of `/_control`; absent: the control API is off. */
  adminToken?: string
  /** A pino logger, or false (default) for none. Per-request lines are never logged. */
  logger?: Logger | false
  /** Injected clock, epoch ms (tests). */
  now?: () => number
}

const DEFAULT_INTROSPECTION_CLIENT = { clientId: 'rs', clientSecret: 'rs-secret' }

function ms(knob: string, value: string): number {
  try {
    return durationMs(value)
  } catch (err) {
    throw new GamedayError('ERR_CONFIG_INVALID', `knobs.${knob}: ${(err as Error).message}`)
  }
}

/**
 * The AS may still be starting (its process boots beside this one): poll
 * briefly at first, then back off, about 4 s in all. A fixed 250 ms first
 * backoff cost every run that much start-up time.
 */
async function discoverWithRetry(issuer: string, timeoutMs: number) {
  const deadline = Date.now() + 4000
  for (let attempt = 0; ; attempt++) {
    try {
      return await discover(issuer, timeoutMs)
    } catch (err) {
      const delay = Math.min(250, 25 * 2 ** Math.floor(attempt / 4))
      if (Date.now() + delay > deadline) throw err
      await new Promise((r) => setTimeout(r, delay))
    }
  }
}

/**
 * Build a reference resource server (not listening).
 *
 * @example
 * ```ts
 * const app = await buildResourceServer({ issuer: 'http://127.0.0.1:4000', profile: 'fixed-ttl', knobs: { jwksCacheMaxAge: '20s' } })
 * const res = await app.inject({ url: '/api/orders', headers: { authorization: `Bearer ${token}` } })
 * ```
 */
export async function buildResourceServer(options: ResourceServerOptions): Promise<FastifyInstance> {
  const profile = options.profile ?? DEFAULT_PROFILE
  const knobs = resolveKnobs(profile, options.knobs)
  try {
    new URL(options.issuer)
  } catch {
    throw new GamedayError('ERR_CONFIG_INVALID', `issuer: not a URL (got ${JSON.stringify(options.issuer)})`)
  }
  const now = options.now ?? Date.now
  const clock = { offsetSeconds: 0 }
  const rsNow = () => now() + clock.offsetSeconds * 1000
  const timeoutMs = ms('fetchTimeout', knobs.fetchTimeout)
  const name = options.name ?? 'mock-rs'
  const audience = options.audience ?? 'https://api.example'
  if (options.adminToken) registerSecret(options.adminToken)

  let jwksUri = options.jwksUri
  let introspectionEndpoint = options.introspectionEndpoint
  const needs = knobs.mode === 'jwt' ? !jwksUri : !introspectionEndpoint
  if (needs) {
    const meta = await discoverWithRetry(options.issuer, timeoutMs)
    jwksUri ??= meta.jwks_uri
    introspectionEndpoint ??= meta.introspection_endpoint
  }

  let probe = (): { kids: number; jwksAgeSeconds: number | null } => ({ kids: 0, jwksAgeSeconds: null })
  const telemetry = new Telemetry(now, () => probe())
  const log = options.logger || undefined
  if (log) {
    const warn = new Set(['jwks.fetch_failed', 'introspection.failed', 'fail_open.accepted'])
    telemetry.listener = (e) => {
      if (warn.has(e.type)) log.warn({ rs: name, ...e.data }, e.type)
      else if (e.type !== 'token.rejected') log.info({ rs: name, ...e.data }, e.type)
    }
  }
  const ctx: RsContext = {
    name,
    profile,
    knobs,
    issuer: options.issuer,
    audience,
    readScope: options.readScope ?? 'orders:read',
    writeScope: options.writeScope ?? 'orders:write',
    telemetry,
    validate: async () => ({ ok: false, reason: 'validator_unavailable' }),
    now,
    clock,
    ...(knobs.dpop !== 'ignore' ? { dpop: new RsDpop(knobs, rsNow) } : {}),
  }

  if (knobs.mode === 'jwt') {
    if (!jwksUri)
      throw new GamedayError('ERR_CONFIG_INVALID', `jwksUri: the metadata of ${options.issuer} names no jwks_uri`, {
        hint: 'pass --jwks-uri',
      })
    const jwks = new JwksCache({
      uri: jwksUri,
      maxAgeMs: ms('jwksCacheMaxAge', knobs.jwksCacheMaxAge),
      refetchOnUnknownKid: knobs.refetchOnUnknownKid,
      cooldownMs: ms('refetchCooldown', knobs.refetchCooldown),
      timeoutMs,
      staleIfError: knobs.staleIfError,
      honourRetryAfter: knobs.honourRetryAfter,
      now,
      telemetry,
    })
    probe = () => ({ kids: jwks.kids().length, jwksAgeSeconds: jwks.ageSeconds() })
    ctx.jwksUri = jwksUri
    ctx.jwks = jwks
    ctx.validate = createJwtValidator({
      jwks,
      issuer: options.issuer,
      audience,
      checkAudience: knobs.checkAudience,
      checkIssuer: knobs.checkIssuer,
      requireExp: knobs.requireExp,
      algorithms: knobs.algorithms,
      allowJwtTyp: knobs.allowJwtTyp,
      clockToleranceSeconds: ms('clockTolerance', knobs.clockTolerance) / 1000,
      rsNow,
    })
    await jwks.warm()
  } else {
    if (!introspectionEndpoint) {
      throw new GamedayError(
        'ERR_CONFIG_INVALID',
        `introspectionEndpoint: the metadata of ${options.issuer} names no introspection_endpoint`,
        {
          hint: 'pass the introspection endpoint explicitly',
        },
      )
    }
    const client = options.introspectionClient ?? DEFAULT_INTROSPECTION_CLIENT
    registerSecret(client.clientSecret)
    const introspector = new Introspector({
      endpoint: introspectionEndpoint,
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      audience,
      checkAudience: knobs.checkAudience,
      checkTokenType: knobs.checkTokenType,
      cacheTtlMs: ms('introspectionCacheTtl', knobs.introspectionCacheTtl),
      cacheNegative: knobs.cacheNegativeResults,
      honourRetryAfter: knobs.honourRetryAfter,
      singleFlight: knobs.singleFlight,
      timeoutMs,
      now,
      rsNow,
      telemetry,
    })
    ctx.introspectionEndpoint = introspectionEndpoint
    ctx.introspector = introspector
    ctx.validate = (token) => introspector.validate(token)
  }

  // fastify gets no logger: a per-request child logger costs more CPU than the
  // token check itself, and the RS logs nothing per request anyway. Its Ajv
  // does not check the route schemas against the JSON Schema meta-schema:
  // they are this file's TypeBox literals, and compiling the meta-schema was
  // a sixth of an RS process's start-up CPU (a stack starts one per RS);
  // requests are validated as before.
  const app: FastifyInstance = Fastify({
    logger: false,
    bodyLimit: 64 * 1024,
    ajv: { customOptions: { validateSchema: false } },
  })
  await app.register(formbody)
  app.setErrorHandler((err: { statusCode?: number; message?: string }, request, reply) => {
    const status =
      typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500
    if (status === 500) log?.error({ err: err.message, route: request.routeOptions.url }, 'request.failed')
    const message = status === 500 ? 'internal error' : (err.message ?? 'bad request')
    return reply
      .code(status)
      .send({ error: status === 500 ? 'server_error' : 'invalid_request', error_description: message })
  })
  closeKeptAliveOnShutdown(app)
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', telemetry.registry.contentType)
    return telemetry.registry.metrics()
  })
  ordersRoutes(app, ctx)
  if (options.adminToken) controlRoutes(app, ctx, options.adminToken)
  telemetry.emit('rs.started', {
    name,
    profile,
    mode: knobs.mode,
    jwksUri: jwksUri ?? null,
    introspectionEndpoint: introspectionEndpoint ?? null,
  })
  return app
}
