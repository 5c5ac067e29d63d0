/**
 * Standalone mock-as: the only place that listens. `serveAs()` for the CLI
 * (`oauth-gameday serve as`), `mainAs(argv)` when run directly:
 *
 *   tsx mock-as/main.ts --config as.yaml --port 0 --host 127.0.0.1 --admin-token T
 *
 * Prints the issuer URL (line 1) and the admin token (line 2) on stdout, then
 * stops cleanly on SIGTERM / SIGINT.
 */
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { mintAdminToken } from '../src/util/component/admin-auth.ts'
import { GamedayError } from '../src/errors.ts'
import { buildAuthorizationServer } from './app.ts'

export interface ServeAsOptions {
  /** Config file path (YAML/JSON) or object. */
  config?: string | object
  /** Default 0 (a free port). */
  port?: number
  /** Default 127.0.0.1. */
  host?: string
  /** Default: a random token. */
  adminToken?: string
  /** See `BuildAsOptions.tokenFastPath` (default true). */
  tokenFastPath?: boolean
}

export interface ServedAs {
  /** Issuer / base URL (the real port). */
  url: string
  adminToken: string
  close(): Promise<void>
}

/**
 * Start mock-as on a port.
 *
 * @example
 * ```ts
 * const as = await serveAs({ port: 0 })
 * console.log(as.url) // http://127.0.0.1:40123
 * await as.close()
 * ```
 */
export async function serveAs(opts: ServeAsOptions = {}): Promise<ServedAs> {
  const adminToken = opts.adminToken ?? mintAdminToken()
  const app = await buildAuthorizationServer({ config: opts.config, adminToken, tokenFastPath: opts.tokenFastPath })
  await app.listen({ port: opts.port ?? 0, host: opts.host ?? '127.0.0.1' })
  return {
    url: app.oauthContext.issuer,
    adminToken,
    close: async () => {
      await app.close()
    },
  }
}

/** Run from argv (without node and script): prints url and admin token, waits for a signal. */
export async function mainAs(argv: string[]): Promise<void> {
  let values: { config?: string; port?: string; host?: string; 'admin-token'?: string }
  try {
    values = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'admin-token': { type: 'string' },
      },
      strict: true,
    }).values
  } catch (cause) {
    throw new GamedayError('ERR_CLI_USAGE', (cause as Error).message, { cause })
  }
  const port = values.port === undefined ? 0 : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new GamedayError('ERR_CLI_USAGE', `--port: must be an integer 0-65535 (got ${JSON.stringify(values.port)})`)
  const served = await serveAs({
    port,
    ...(values.config !== undefined ? { config: values.config } : {}),
    ...(values.host !== undefined ? { host: values.host } : {}),
    ...(values['admin-token'] !== undefined ? { adminToken: values['admin-token'] } : {}),
  })
  process.stdout.write(`${served.url}\n${served.adminToken}\n`)
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop)
      process.off('SIGINT', stop)
      served.close().then(resolve, resolve)
    }
    process.on('SIGTERM', stop)
    process.on('SIGINT', stop)
  })
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  mainAs(process.argv.slice(2)).then(
    () => process.exit(0),
    (err: unknown) => {
      const e = err as GamedayError
      process.stderr.write(e.code ? `${e.code}: ${e.message}\n${e.hint ?? ''}\n` : `${(err as Error).stack}\n`)
      process.exit(e.code ? e.exitCode : 1)
    },
  )
}
