/**
 * Build the mock-as fastify instance (no listen: only main.ts listens).
 * The request pipeline, in order:
 *
 * | step | where |
 * |---|---|
 * | an ordinary `POST /token` (urlencoded, sized, no chaos) is answered before fastify, with the same functions | fast-token.ts |
 * | body: raw bytes, 64 KiB max, parsed by each route (urlencoded only for OAuth) | content-type parser below |
 * | client authentication (basic / post / none) | context.ts `authenticateClient` |
 * | DPoP proof (RFC 9449), before the grant runs | dpop.ts `tokenRequestBinding` |
 * | grant dispatch | routes/token.ts → grants/*.ts |
 * | OAuth error body `{ error, error_description }` + no-store | error handler below |
 * | metrics by endpoint, grant type, status, error | onResponse hook |
 */
import type { EventEmitter } from 'node:events'
import { createServer } from 'node:http'
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, LogController } from 'fastify'
import pino, { type Logger } from 'pino'
import { GamedayError } from '../src/errors.ts'
import { baseLogOptions, maskingStream } from '../src/log.ts'
import { closeKeptAliveOnShutdown, type ShutdownFlag } from '../src/util/close-kept-alive.ts'
import { registerSecret } from '../src/util/secrets.ts'
import { AsClock } from './clock.ts'
import { type AsConfig, DEFAULT_CLIENTS, DEFAULT_USERS, loadAsConfig } from './config.ts'
import { type AsContext, defaultChaos, ttls } from './context.ts'
import { createAsDpop, dpopSettings } from './dpop.ts'
import { EventLog } from './events.ts'
import { fastTokenPath } from './fast-token.ts'
import { KeyStore } from './keys.ts'
import { createMetrics, requestRecorder } from './metrics.ts'
import { INTERNAL_ERROR_BODY, logInternalError, OAuthError } from './oauth-error.ts'
import { authorizeRoutes } from './routes/authorize.ts'
import { chaosRoutes } from './routes/chaos.ts'
import { deviceRoutes } from './routes/device.ts'
import { TokenBucket, introspectRoute } from './routes/introspect.ts'
import { metadataRoutes } from './routes/metadata.ts'
import { parRoute } from './routes/par.ts'
import { revokeRoute } from './routes/revoke.ts'
import { tokenRoute } from './routes/token.ts'
import { Store } from './store.ts'
import { sourceOf } from '../src/util/component/probe-traffic.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** Every ComponentEvent `{ seq, time, type, data }`, emitted on 'event'. */
    oauthEvents: EventEmitter
    /** Internal state (tests and main.ts); not a stable API. */
    oauthContext: AsContext
  }
}

/** Default deadline for a whole request (headers and body). */
const REQUEST_TIMEOUT_MS = 30_000

export interface BuildAsOptions {
  /** Config object or path (YAML/JSON); validated against AsConfigSchema, defaults filled. */
  config?: unknown
  /** Enables /_chaos; without it the chaos API is off (404). */
  adminToken?: string
  /** A pino logger, or false for none. Default: JSON on stderr with redaction and masking. */
  logger?: Logger | false
  /** Injectable clock, epoch ms (chaos offsets are added on top). */
  now?: () => number
  /** Answer ordinary `POST /token` requests before fastify (fast-token.ts). Default true; false sends every request through fastify. */
  tokenFastPath?: boolean
  /**
   * Deadline for receiving a whole request, headers and body, in ms (default
   * 30 s; Node answers 408 and closes): an unfinished body must not hold a
   * connection for minutes (slowloris).
   */
  requestTimeoutMs?: number
}

export const BODY_LIMIT = 64 * 1024

function makeLogger(opt: Logger | false | undefined): Logger {
  if (opt === false) return pino({ level: 'silent' })
  if (opt) return opt
  return pino({ ...baseLogOptions(), name: 'mock-as' }, maskingStream(process.stderr))
}

/**
 * Build the reference authorization server.
 *
 * @example
 * ```ts
 * const app = await buildAuthorizationServer({ config: { accessTokenTtl: '60s' }, adminToken: 't0k' })
 * app.oauthEvents.on('event', (e) => console.log(e.type))
 * await app.listen({ port: 0, host: '127.0.0.1' })
 * ```
 */
export async function buildAuthorizationServer(options: BuildAsOptions = {}): Promise<FastifyInstance> {
  const input = options.config ?? {}
  if (typeof input !== 'string' && (typeof input !== 'object' || input === null)) {
    throw new GamedayError('ERR_CONFIG_INVALID', `config: must be an object or a file path (got ${typeof input})`)
  }
  const config: AsConfig = loadAsConfig(input as string | object)
  const log = makeLogger(options.logger)
  const base = options.now ?? Date.now
  const clock = new AsClock(base)
  const events = new EventLog(base)
  const keys = new KeyStore(config.signing.alg, config.accessTokenTyp, base, events)
  const clients = new Map((config.clients ?? DEFAULT_CLIENTS).map((c) => [c.clientId, c]))
  const users = new Map((config.users ?? DEFAULT_USERS).map((u) => [u.username, u.password]))
  for (const c of clients.values()) registerSecret(c.clientSecret)
  for (const p of users.values()) registerSecret(p)
  if (options.adminToken) registerSecret(options.adminToken)

  const ctx: AsContext = {
    config,
    issuer: config.issuer?.replace(/\/$/, '') ?? 'http://127.0.0.1',
    clients,
    users,
    store: new Store(),
    keys,
    clock,
    events,
    metrics: createMetrics(() => keys.publishedCount()),
    chaos: defaultChaos(config),
    ttl: ttls(config),
    log,
    fastToken: { answered: 0 },
    dpop: createAsDpop(dpopSettings(config), () => clock.now()),
  }
  events.emitter.on('event', (e: { type: string; data?: Record<string, unknown> }) => {
    if (e.type !== 'chaos.changed') log.info({ event: e.type, ...e.data }, e.type)
  })

  const recordRequest = requestRecorder(ctx.metrics)
  const shutdown: ShutdownFlag = { closing: false }
  const useFastPath = options.tokenFastPath !== false
  const fastToken = fastTokenPath({
    ctx,
    bodyLimit: BODY_LIMIT,
    record: recordRequest,
    closing: () => shutdown.closing,
  })

  const app: FastifyInstance = Fastify({
    // the server fastify would create, with the token fast path in front (fast-token.ts)
    serverFactory: (handler, options) => {
      const opts = options as { keepAliveTimeout?: number; requestTimeout?: number; connectionTimeout?: number }
      const requestTimeout = opts.requestTimeout ?? REQUEST_TIMEOUT_MS
      // the deadline is enforced on this interval (Node's default, 30 s, would stretch a short one)
      const server = createServer(
        { connectionsCheckingInterval: Math.max(100, Math.min(1000, requestTimeout)) },
        useFastPath
          ? (req, res) => {
              if (!fastToken(req, res)) handler(req, res)
            }
          : handler,
      )
      server.keepAliveTimeout = opts.keepAliveTimeout ?? 72_000
      server.requestTimeout = requestTimeout
      server.headersTimeout = Math.min(server.headersTimeout, server.requestTimeout)
      server.setTimeout(opts.connectionTimeout ?? 0)
      return server
    },
    loggerInstance: log as FastifyBaseLogger,
    // per-request lines would cost throughput and risk leaking parameters
    logController: new LogController({ disableRequestLogging: true }),
    // no per-request child logger: a pino child with redaction costs more than signing a token's header
    childLoggerFactory: (logger) => logger,
    bodyLimit: BODY_LIMIT,
    requestTimeout: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 200 },
  })
  app.decorate('oauthEvents', events.emitter)
  app.decorate('oauthContext', ctx)
  app.decorateRequest('oauthGrant', undefined)
  app.decorateRequest('oauthError', undefined)

  // Bodies stay raw: each route decides what it accepts (urlencoded for OAuth, JSON for /_chaos).
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body))

  app.setErrorHandler(async (err: FastifyError | OAuthError, req, reply) => {
    reply.header('cache-control', 'no-store')
    if (err instanceof OAuthError) {
      ;(req as unknown as { oauthError?: string }).oauthError = err.error
      return reply.code(err.status).headers(err.headers).send(err.body())
    }
    const status =
      typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500
    if (status === 500) {
      logInternalError(log, err, req.routeOptions.url)
      return reply.code(500).send(INTERNAL_ERROR_BODY)
    }
    ;(req as unknown as { oauthError?: string }).oauthError = 'invalid_request'
    const description =
      err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? `request body exceeds ${BODY_LIMIT} bytes` : err.message.slice(0, 200)
    return reply.code(status).send({ error: 'invalid_request', error_description: description })
  })
  app.setNotFoundHandler(async (_req, reply) =>
    reply.code(404).send({ error: 'not_found', error_description: 'no such endpoint' }),
  )

  app.addHook('onResponse', (req, reply, done) => {
    const r = req as unknown as { oauthGrant?: string; oauthError?: string }
    recordRequest(
      req.routeOptions.url ?? 'unmatched',
      r.oauthGrant ?? '',
      reply.statusCode,
      r.oauthError ?? '',
      reply.elapsedTime / 1000,
      sourceOf(req.headers),
    )
    done()
  })

  if (!config.issuer) {
    app.addHook('onListen', async () => {
      const addr = app.server.address()
      if (addr && typeof addr === 'object') {
        const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
        ctx.issuer = `http://${host === '0.0.0.0' ? '127.0.0.1' : host === '[::]' ? '[::1]' : host}:${addr.port}`
      }
    })
  }

  let bucket: TokenBucket | undefined
  metadataRoutes(app, ctx)
  authorizeRoutes(app, ctx)
  tokenRoute(app, ctx)
  parRoute(app, ctx)
  deviceRoutes(app, ctx)
  introspectRoute(app, ctx, () => bucket)
  revokeRoute(app, ctx)
  if (options.adminToken) {
    chaosRoutes(app, ctx, options.adminToken, {
      setRateLimit: (l) => {
        bucket = l ? new TokenBucket(l.rate, l.burst, base) : undefined
      },
    })
  }

  const sweeper = setInterval(() => ctx.store.sweep(clock.now()), 10_000)
  sweeper.unref()
  // the fast path marks its own answers the same way (fast-token.ts)
  closeKeptAliveOnShutdown(app, shutdown)
  app.addHook('onClose', async () => {
    clearInterval(sweeper)
    keys.close()
  })
  return app
}
