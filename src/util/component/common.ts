/**
 * Plumbing shared by the JWKS CDN and the HTTP fault proxy: the event feed,
 * the Bearer-guarded control API, input validation that names the field and
 * the expected value, hop-by-hop header filtering, and the standalone `main`.
 */
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { TSchema } from '@sinclair/typebox'
import { Value, ValueErrorType } from '@sinclair/typebox/value'
import { type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify'
import { isGamedayError } from '../../errors.ts'
import { createLogger, type Logger } from '../../log.ts'
import { adminTokenMatches, mintAdminToken } from './admin-auth.ts'
import type { EventLog } from './event-log.ts'
import { registerSecret } from '../secrets.ts'

/** What `serveCdn` / `serveProxy` hand back. */
export interface ServedComponent {
  /** Base URL with the real port, e.g. `http://127.0.0.1:40123`. */
  url: string
  /** Bearer token of the control API. */
  adminToken: string
  close(): Promise<void>
}

/** A control-API input error: answered with 400 and the message. */
export class ControlInputError extends Error {
  readonly statusCode: number
  constructor(message: string, statusCode = 400) {
    super(message)
    this.name = 'ControlInputError'
    this.statusCode = statusCode
  }
}

/**
 * Register the control API under `prefix`: every route needs
 * `Authorization: Bearer <adminToken>`; without a configured token the API is off (404).
 */
export function controlScope(
  app: FastifyInstance,
  prefix: string,
  adminToken: string | undefined,
  routes: (scope: FastifyInstance) => void,
): void {
  if (adminToken) registerSecret(adminToken)
  app.register(
    async (scope) => {
      scope.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
        if (!adminToken)
          return reply
            .code(404)
            .send({ error: 'not_found', message: `control api ${prefix} is off: no admin token configured` })
        if (!adminTokenMatches(req.headers.authorization, adminToken)) {
          reply.header('www-authenticate', `Bearer realm="${prefix}"`)
          return reply
            .code(401)
            .send({ error: 'unauthorized', message: 'control api needs Authorization: Bearer <admin token>' })
        }
      })
      routes(scope)
    },
    { prefix },
  )
}

/** Describe what a schema accepts, in words: `a number >= 0`, `a duration like 30s`. */
export function expectedOf(schema: TSchema): string {
  const s = schema as Record<string, unknown>
  if (Array.isArray(s.anyOf)) return (s.anyOf as TSchema[]).map(expectedOf).join(' or ')
  if (s.const !== undefined) return JSON.stringify(s.const)
  if (Array.isArray(s.enum)) return `one of ${(s.enum as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`
  const type = s.type
  if (type === 'null') return 'null'
  if (type === 'string') {
    if (typeof s.pattern === 'string' && s.pattern.includes('us|ms|s|m|h|d')) return 'a duration like 30s or 250ms'
    if (typeof s.pattern === 'string') return `a string matching ${s.pattern}`
    return 'a string'
  }
  if (type === 'number' || type === 'integer') {
    const parts = [type === 'integer' ? 'an integer' : 'a number']
    if (typeof s.minimum === 'number') parts.push(`>= ${s.minimum}`)
    if (typeof s.exclusiveMinimum === 'number') parts.push(`> ${s.exclusiveMinimum}`)
    if (typeof s.maximum === 'number') parts.push(`<= ${s.maximum}`)
    return parts.join(' ')
  }
  if (type === 'object') return 'an object'
  if (type === 'boolean') return 'true or false'
  return 'a valid value'
}

function schemaAt(root: TSchema, pointer: string): TSchema | undefined {
  let s: TSchema | undefined = root
  for (const part of pointer.split('/').filter(Boolean)) {
    const props: Record<string, TSchema> | undefined = (s as { properties?: Record<string, TSchema> } | undefined)
      ?.properties
    s = props?.[part]
  }
  return s
}

/**
 * Check `value` against `schema`; on failure throw a {@link ControlInputError}
 * naming the first offending field, the expected value and what was sent.
 */
export function validateInput<T>(schema: TSchema, value: unknown, where: string): T {
  if (Value.Check(schema, value)) return value as T
  const err = Value.Errors(schema, value).First()
  if (!err) throw new ControlInputError(`${where}: invalid`)
  const path = err.path.split('/').filter(Boolean).join('.')
  const field = path ? `${where}.${path}` : where
  const props = (err.schema as { properties?: Record<string, TSchema> }).properties ?? {}
  if (err.type === ValueErrorType.ObjectAdditionalProperties) {
    throw new ControlInputError(`${field}: unknown field (expected one of ${Object.keys(props).join(', ')})`)
  }
  if (err.type === ValueErrorType.ObjectRequiredProperty) {
    const sub = schemaAt(schema, err.path)
    throw new ControlInputError(`${field}: required (expected ${sub ? expectedOf(sub) : 'a value'})`)
  }
  const sub = schemaAt(schema, err.path) ?? err.schema
  throw new ControlInputError(`${field}: must be ${expectedOf(sub)} (got ${JSON.stringify(err.value)})`)
}

/** Error handler for both servers: 4xx with a clear message, never a stack, never a 500 body with internals. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, _req, reply) => {
    const status = err instanceof ControlInputError ? err.statusCode : (err.statusCode ?? 500)
    if (status >= 500) {
      app.log.error({ err: { message: err.message, name: err.name } }, 'request.failed')
      return reply.code(500).send({ error: 'internal_error', message: 'internal error (see the component log)' })
    }
    const message = isGamedayError(err) ? err.message : err.message.replace(/^body\//, 'body.')
    return reply
      .code(status)
      .send({ error: status === 404 ? 'not_found' : status === 409 ? 'conflict' : 'invalid_request', message })
  })
}

/** Request and response headers a proxy must not forward (RFC 9110 §7.6.1). */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
])

/** Copy headers without hop-by-hop ones (and without those named in `Connection`). */
export function forwardableHeaders(
  headers: Record<string, string | string[] | undefined>,
  drop: readonly string[] = [],
): Record<string, string | string[]> {
  const named = String(headers.connection ?? '')
    .toLowerCase()
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  const out: Record<string, string | string[]> = {}
  for (const [k, v] of Object.entries(headers)) {
    const key = k.toLowerCase()
    if (v === undefined || HOP_BY_HOP.has(key) || named.includes(key) || drop.includes(key)) continue
    out[key] = v
  }
  return out
}

/** Fastify logger options: an instance (or off), and no per-request lines (the hit path stays cheap). */
export function fastifyLoggerOptions(
  logger: Logger | false | undefined,
  name: string,
): ({ loggerInstance: Logger } | { logger: false }) & { logController: LogController } {
  const logController = new LogController({ disableRequestLogging: true })
  if (logger === false) return { logger: false, logController }
  return { loggerInstance: logger ?? createLogger({ name }), logController }
}

/** Listen on host:port (default 127.0.0.1:0) and return the base URL with the real port. */
/** `GET <prefix>/events?since=N` on a control API: the events after seq N. */
export function registerEventsRoute(api: FastifyInstance, events: EventLog): void {
  api.get('/events', async (req) => {
    const raw = (req.query as { since?: string }).since
    const since = Number(raw ?? 0)
    if (!Number.isInteger(since) || since < 0)
      throw new ControlInputError(`query.since: must be an integer >= 0 (got ${JSON.stringify(raw)})`)
    return { events: events.since(since) }
  })
}

/** Build a component with its admin token (minted when none is given) and listen (127.0.0.1, port 0 by default). */
export async function serveComponent<O extends { adminToken?: string; port?: number; host?: string }>(
  opts: O,
  build: (o: O & { adminToken: string }) => Promise<FastifyInstance>,
): Promise<ServedComponent> {
  const adminToken = opts.adminToken ?? mintAdminToken()
  const app = await build({ ...opts, adminToken })
  const url = await listen(app, opts.port ?? 0, opts.host ?? '127.0.0.1')
  return { url, adminToken, close: () => app.close() }
}

export async function listen(app: FastifyInstance, port = 0, host = '127.0.0.1'): Promise<string> {
  await app.listen({ port, host })
  const addr = app.server.address()
  if (!addr || typeof addr === 'string') throw new Error('server has no TCP address')
  const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
  return `http://${h}:${addr.port}`
}

/** True when `metaUrl` is the module node/tsx was started with. */
export function isMain(metaUrl: string): boolean {
  const entry = process.argv[1]
  if (!entry) return false
  try {
    return realpathSync(fileURLToPath(metaUrl)) === realpathSync(entry)
  } catch {
    return false
  }
}

/**
 * Standalone entry point: parse `--<urlFlag> URL --port N --host H [--allow-external]`
 * (plus `extraFlags`), start, print the URL (line 1) and the admin token (line 2),
 * stop on SIGTERM/SIGINT. `GAMEDAY_ADMIN_TOKEN` fixes the admin token.
 */
export async function runMain(
  urlFlag: string,
  start: (opts: {
    url: string
    port: number
    host: string
    allowExternal: boolean
    adminToken?: string
    extra: Record<string, string>
  }) => Promise<ServedComponent>,
  extraFlags: readonly string[] = [],
): Promise<void> {
  const { values } = parseArgs({
    options: {
      ...Object.fromEntries(extraFlags.map((f) => [f, { type: 'string' as const }])),
      [urlFlag]: { type: 'string' },
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'allow-external': { type: 'boolean', default: false },
    },
    strict: true,
  })
  const url = values[urlFlag]
  const port = Number(values.port)
  if (typeof url !== 'string' || !Number.isInteger(port) || port < 0 || port > 65535) {
    const more = extraFlags.map((f) => ` [--${f} VALUE]`).join('')
    process.stderr.write(`usage: --${urlFlag} URL [--port N] [--host 127.0.0.1] [--allow-external]${more}\n`)
    process.exit(104)
  }
  try {
    const served = await start({
      url,
      port,
      host: String(values.host),
      allowExternal: values['allow-external'] === true,
      ...(process.env.GAMEDAY_ADMIN_TOKEN ? { adminToken: process.env.GAMEDAY_ADMIN_TOKEN } : {}),
      extra: Object.fromEntries(
        extraFlags.flatMap((f) => (typeof values[f] === 'string' ? [[f, values[f] as string]] : [])),
      ),
    })
    process.stdout.write(`${served.url}\n${served.adminToken}\n`)
    let stopping = false
    const stop = () => {
      if (stopping) return
      stopping = true
      served.close().then(
        () => process.exit(0),
        () => process.exit(1),
      )
    }
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
  } catch (err) {
    const e = err as Error & { code?: string; hint?: string }
    process.stderr.write(`${e.code ?? 'error'}: ${e.message}${e.hint ? `\nhint: ${e.hint}` : ''}\n`)
    process.exit(isGamedayError(err) ? err.exitCode : 1)
  }
}

export { EventLog } from './event-log.ts'
export { mintAdminToken } from './admin-auth.ts'
