/**
 * Standalone mock-rs: `tsx mock-rs/main.ts --as ISSUER --profile NAME --port 0`.
 * Prints its base URL as stdout line 1 and its admin token as line 2, then
 * serves until SIGTERM/SIGINT. `oauth-gameday serve rs` calls {@link serveRs}.
 */
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { mintAdminToken } from '../src/util/component/admin-auth.ts'
import { GamedayError, isGamedayError } from '../src/errors.ts'
import { createLogger } from '../src/log.ts'
import { registerSecret } from '../src/util/secrets.ts'
import { buildResourceServer, type ResourceServerOptions } from './app.ts'
import { type ProfileName, RsKnobsSchema } from './options.ts'
import { profiles } from './profiles.ts'

export interface ServeRsOptions extends ResourceServerOptions {
  /** Listen port; 0 (default) picks a free one. */
  port?: number
  /** Listen address; default 127.0.0.1. */
  host?: string
}

export interface ServedRs {
  url: string
  adminToken: string
  close(): Promise<void>
}

/**
 * Build and listen. An admin token is generated when none is given.
 *
 * @example
 * ```ts
 * const rs = await serveRs({ issuer: as.url, profile: 'resilient', port: 0 })
 * await fetch(`${rs.url}/api/orders`, { headers: { authorization: `Bearer ${token}` } })
 * await rs.close()
 * ```
 */
export async function serveRs(options: ServeRsOptions): Promise<ServedRs> {
  const adminToken = options.adminToken ?? mintAdminToken()
  registerSecret(adminToken)
  const logger =
    options.logger === undefined ? createLogger({ name: `rs:${options.name ?? 'mock-rs'}` }) : options.logger
  const app = await buildResourceServer({ ...options, adminToken, logger })
  const host = options.host ?? '127.0.0.1'
  await app.listen({ port: options.port ?? 0, host })
  const addr = app.server.address()
  const port = typeof addr === 'object' && addr ? addr.port : options.port
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  if (logger) logger.info({ url, profile: options.profile ?? 'resilient' }, 'rs.listening')
  let closed: Promise<void> | undefined
  return { url, adminToken, close: () => (closed ??= app.close().then(() => undefined)) }
}

function usage(message: string): GamedayError {
  return new GamedayError('ERR_CLI_USAGE', message, {
    hint: 'usage: mock-rs --as ISSUER [--profile NAME] [--port N] [--host H] [--mode jwt|introspection] [--jwks-uri URL] [--introspection-endpoint URL] [--introspection-client id:secret] [--audience A] [--admin-token T] [--knobs JSON] [--name N]',
  })
}

/** Turn CLI flags into serveRs options (shared with `oauth-gameday serve rs`). */
export function parseRsArgs(argv: string[]): ServeRsOptions {
  let values: Record<string, string | undefined>
  try {
    values = parseArgs({
      args: argv,
      options: Object.fromEntries(
        [
          'as',
          'profile',
          'port',
          'host',
          'mode',
          'jwks-uri',
          'introspection-endpoint',
          'introspection-client',
          'audience',
          'admin-token',
          'knobs',
          'name',
          'read-scope',
          'write-scope',
        ].map((k) => [k, { type: 'string' as const }]),
      ),
      strict: true,
    }).values as Record<string, string | undefined>
  } catch (err) {
    throw usage((err as Error).message.toLowerCase())
  }
  if (!values.as) throw usage('--as ISSUER is required')
  const opts: ServeRsOptions = { issuer: values.as }
  if (values.profile !== undefined) {
    if (!(values.profile in profiles))
      throw usage(
        `--profile: unknown profile ${JSON.stringify(values.profile)} (expected one of ${Object.keys(profiles).join(', ')})`,
      )
    opts.profile = values.profile as ProfileName
  }
  if (values.port !== undefined) {
    const port = Number(values.port)
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw usage(`--port: must be an integer 0-65535 (got ${JSON.stringify(values.port)})`)
    opts.port = port
  }
  let knobs: Record<string, unknown> = {}
  if (values.knobs !== undefined) {
    try {
      knobs = JSON.parse(values.knobs) as Record<string, unknown>
    } catch {
      throw usage(`--knobs: not JSON (got ${JSON.stringify(values.knobs)})`)
    }
    if (typeof knobs !== 'object' || knobs === null || Array.isArray(knobs))
      throw usage('--knobs: must be a JSON object')
    for (const k of Object.keys(knobs))
      if (!(k in RsKnobsSchema.properties)) throw usage(`--knobs: unknown knob ${JSON.stringify(k)}`)
  }
  if (values.mode !== undefined) {
    if (values.mode !== 'jwt' && values.mode !== 'introspection')
      throw usage(`--mode: must be jwt or introspection (got ${JSON.stringify(values.mode)})`)
    knobs.mode = values.mode
  }
  opts.knobs = knobs
  if (values['introspection-client'] !== undefined) {
    const raw = values['introspection-client']
    const i = raw.indexOf(':')
    if (i <= 0 || i === raw.length - 1) throw usage('--introspection-client: must be id:secret')
    opts.introspectionClient = { clientId: raw.slice(0, i), clientSecret: raw.slice(i + 1) }
    registerSecret(opts.introspectionClient.clientSecret)
  }
  if (values.host !== undefined) opts.host = values.host
  if (values['jwks-uri'] !== undefined) opts.jwksUri = values['jwks-uri']
  if (values['introspection-endpoint'] !== undefined) opts.introspectionEndpoint = values['introspection-endpoint']
  if (values.audience !== undefined) opts.audience = values.audience
  if (values['admin-token'] !== undefined) opts.adminToken = values['admin-token']
  if (values.name !== undefined) opts.name = values.name
  if (values['read-scope'] !== undefined) opts.readScope = values['read-scope']
  if (values['write-scope'] !== undefined) opts.writeScope = values['write-scope']
  return opts
}

async function main(): Promise<void> {
  const served = await serveRs(parseRsArgs(process.argv.slice(2)))
  process.stdout.write(`${served.url}\n${served.adminToken}\n`)
  let stopping = false
  const stop = () => {
    if (stopping) return
    stopping = true
    setTimeout(() => process.exit(0), 3000).unref()
    served.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    if (isGamedayError(err)) {
      process.stderr.write(`${err.code}: ${err.message}\nhint: ${err.hint}\n`)
      process.exit(err.exitCode)
    }
    process.stderr.write(`mock-rs: internal error (a bug)\n${(err as Error)?.stack ?? String(err)}\n`)
    process.exit(1)
  })
}
