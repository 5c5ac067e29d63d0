/**
 * `serve as|rs|cdn|proxy|stack`: one reference component (or a scenario's
 * whole stack) in the foreground, for pointing your own software at. Stdout
 * line 1 is the base URL, line 2 the admin token of the control API (the
 * protocol every reference server follows); it stops on SIGTERM/SIGINT.
 */
import { readFile } from 'node:fs/promises'
import { type Command, Option } from 'commander'
import { parse as parseYaml } from 'yaml'
import { GamedayError } from '../../errors.ts'
import { out } from '../output.ts'
import { intArg } from '../program.ts'

interface Served {
  url: string
  adminToken: string
  close(): Promise<void>
}

interface Common {
  port: number
  host: string
  adminToken?: string
}

/** Resolves on the first SIGTERM/SIGINT. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGINT', on)
      process.off('SIGTERM', on)
      resolve(sig)
    }
    process.on('SIGINT', on)
    process.on('SIGTERM', on)
  })
}

async function hold(served: Served): Promise<void> {
  // the token is this command's product: written raw, not masked
  process.stdout.write(`${served.url}\n${served.adminToken}\n`)
  await untilSignal()
  await served.close()
}

/** --admin-token wins over GAMEDAY_ADMIN_TOKEN (the flag shows in `ps`; the variable does not). */
const common = (opts: Common) => {
  const adminToken = opts.adminToken ?? process.env.GAMEDAY_ADMIN_TOKEN
  return { port: opts.port, host: opts.host, ...(adminToken ? { adminToken } : {}) }
}

async function readConfig(path: string): Promise<object> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    throw new GamedayError('ERR_CONFIG_INVALID', `${path}: cannot read the config file`, { cause })
  }
  try {
    return (parseYaml(text) ?? {}) as object
  } catch (cause) {
    throw new GamedayError(
      'ERR_CONFIG_INVALID',
      `${path}: not valid YAML or JSON (${(cause as Error).message.split('\n')[0]})`,
      { cause },
    )
  }
}

/**
 * A config file may say where to listen (`port`, `host`) beside mock-as's own
 * keys, as a compose file or a long-lived `serve as` would want.
 */
export function splitListen(path: string, file: object): { listen: { port?: number; host?: string }; config: object } {
  if (Array.isArray(file)) throw new GamedayError('ERR_CONFIG_INVALID', `${path}: must be an object (got array)`)
  const { port, host, ...config } = file as Record<string, unknown>
  if (port !== undefined && (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new GamedayError(
      'ERR_CONFIG_INVALID',
      `${path}: port: must be an integer from 0 to 65535 (got ${JSON.stringify(port)})`,
      { hint: 'port: 9000, or 0 for an ephemeral port' },
    )
  }
  if (host !== undefined && (typeof host !== 'string' || host === '')) {
    throw new GamedayError(
      'ERR_CONFIG_INVALID',
      `${path}: host: must be a listen address (got ${JSON.stringify(host)})`,
      { hint: 'host: 127.0.0.1' },
    )
  }
  return { listen: { ...(port !== undefined ? { port } : {}), ...(host !== undefined ? { host } : {}) }, config }
}

function withListen(cmd: Command): Command {
  return cmd
    .option('--port <n>', 'listen port (0: ephemeral)', intArg('--port'), 0)
    .option('--host <host>', 'listen address', '127.0.0.1')
    .option(
      '--admin-token <token>',
      'bearer token of the control API (default: GAMEDAY_ADMIN_TOKEN, else a random one, printed on line 2)',
    )
}

export function registerServe(program: Command): void {
  const serve = program
    .command('serve')
    .description(
      'run a reference component in the foreground (prints its URL, then its admin token; stops on SIGTERM/SIGINT)',
    )
    .addHelpText('after', '\nThe admin token can be fixed with the GAMEDAY_ADMIN_TOKEN environment variable.')

  withListen(serve.command('as').description('the reference authorization server (mock-as)'))
    .option(
      '--config <file>',
      'mock-as configuration (YAML or JSON; the keys of stack.authorizationServer, plus port and host, which the flags override)',
    )
    .action(async (opts: Common & { config?: string }, cmd: Command) => {
      const { serveAs } = await import('../../../mock-as/main.ts')
      const { listen, config } = opts.config
        ? splitListen(opts.config, await readConfig(opts.config))
        : { listen: {}, config: {} }
      const flags = common(opts)
      const fromFlag = (name: string) => cmd.getOptionValueSource(name) !== 'default'
      await hold(
        await serveAs({
          ...flags,
          port: fromFlag('port') ? flags.port : (listen.port ?? flags.port),
          host: fromFlag('host') ? flags.host : (listen.host ?? flags.host),
          config,
        }),
      )
    })

  withListen(serve.command('rs').description('a reference resource server (mock-rs) with a resilience profile'))
    .option('--as <url>', 'issuer of the authorization server whose tokens it accepts')
    .option('--issuer <url>', 'same as --as')
    .option('--profile <name>', 'resilience profile (`oauth-gameday list profiles`)', 'resilient')
    .option('--mode <mode>', "jwt (local validation) or introspection (RFC 7662); default: the profile's")
    .option('--name <name>', 'name in events and metrics', 'orders')
    .option('--audience <aud>', 'audience it expects', 'https://api.example')
    .option('--scope <scope>', 'scope the protected route needs', 'orders:read')
    .option('--jwks-uri <url>', 'fetch the key set here instead of from the issuer metadata')
    .option('--introspection-endpoint <url>', "introspect here instead of at the issuer metadata's endpoint")
    .option(
      '--introspection-client <id:secret>',
      "client credentials the RS introspects with (default rs:rs-secret, mock-as's ready set)",
    )
    .option('--knobs <json>', 'knob overrides on top of the profile, as JSON (see mock-rs/README.md)')
    .action(
      async (
        opts: Common & {
          as?: string
          issuer?: string
          profile: string
          mode?: string
          name: string
          audience: string
          scope: string
          jwksUri?: string
          introspectionEndpoint?: string
          introspectionClient?: string
          knobs?: string
        },
      ) => {
        const issuer = opts.as ?? opts.issuer
        if (!issuer)
          throw new GamedayError('ERR_CLI_USAGE', 'serve rs: --as <issuer url> is required', {
            hint: 'oauth-gameday serve rs --as http://127.0.0.1:9000',
          })
        let knobs: Record<string, unknown> = {}
        if (opts.knobs) {
          try {
            knobs = JSON.parse(opts.knobs) as Record<string, unknown>
          } catch {
            throw new GamedayError('ERR_CLI_USAGE', `--knobs: not JSON (got ${JSON.stringify(opts.knobs)})`, {
              hint: `--knobs '{"clockTolerance":"5s"}'`,
            })
          }
        }
        if (opts.mode) knobs.mode = opts.mode
        let introspectionClient: { clientId: string; clientSecret: string } | undefined
        if (opts.introspectionClient) {
          const i = opts.introspectionClient.indexOf(':')
          if (i <= 0)
            throw new GamedayError('ERR_CLI_USAGE', '--introspection-client: expected id:secret', {
              hint: '--introspection-client rs:rs-secret',
            })
          introspectionClient = {
            clientId: opts.introspectionClient.slice(0, i),
            clientSecret: opts.introspectionClient.slice(i + 1),
          }
        }
        const { serveRs } = await import('../../../mock-rs/main.ts')
        const { profiles, isProfileName } = await import('../../../mock-rs/profiles.ts')
        if (!isProfileName(opts.profile)) {
          throw new GamedayError(
            'ERR_CLI_USAGE',
            `--profile: unknown profile ${JSON.stringify(opts.profile)} (expected one of ${Object.keys(profiles).join(', ')})`,
            {
              hint: '`oauth-gameday list profiles` lists them',
            },
          )
        }
        const profile = opts.profile
        const served = await serveRs({
          ...common(opts),
          name: opts.name,
          issuer,
          audience: opts.audience,
          profile,
          knobs,
          readScope: opts.scope,
          ...(opts.jwksUri ? { jwksUri: opts.jwksUri } : {}),
          ...(opts.introspectionEndpoint ? { introspectionEndpoint: opts.introspectionEndpoint } : {}),
          ...(introspectionClient ? { introspectionClient } : {}),
        })
        await hold(served)
      },
    )

  withListen(serve.command('cdn').description('a caching CDN in front of a JWKS (for stale-key-set game days)'))
    .requiredOption('--origin <url>', 'origin the CDN fetches from (the AS issuer or the fault proxy)')
    .option('--ttl <duration>', 'forced cache TTL (default: honour the origin Cache-Control)')
    .option('--stale-while-revalidate <duration>', 'serve stale while revalidating', '0s')
    .option('--stale-if-error <duration>', 'serve stale when the origin fails', '0s')
    .option('--allow-external', 'allow a non-loopback origin', false)
    .action(
      async (
        opts: Common & {
          origin: string
          ttl?: string
          staleWhileRevalidate: string
          staleIfError: string
          allowExternal: boolean
        },
      ) => {
        const { serveCdn } = await import('../../../jwks-cdn/main.ts')
        await hold(
          await serveCdn({
            ...common(opts),
            origin: opts.origin,
            ttl: opts.ttl ?? null,
            staleWhileRevalidate: opts.staleWhileRevalidate,
            staleIfError: opts.staleIfError,
            allowExternal: opts.allowExternal,
          }),
        )
      },
    )

  withListen(
    serve.command('proxy').description('the HTTP fault proxy (latency, errors, rate limits between RS and AS)'),
  )
    .requiredOption('--upstream <url>', 'where requests are forwarded (the AS issuer)')
    .option('--allow-external', 'allow a non-loopback upstream', false)
    .action(async (opts: Common & { upstream: string; allowExternal: boolean }) => {
      const { serveProxy } = await import('../../../fault-proxy/main.ts')
      await hold(await serveProxy({ ...common(opts), upstream: opts.upstream, allowExternal: opts.allowExternal }))
    })

  serve
    .command('stack')
    .description("start a scenario's whole stack and print its targets (no secrets) until SIGTERM/SIGINT")
    .argument('<scenario>', 'scenario file')
    .addOption(
      new Option('--runtime <id>', 'how the components start').choices(['process', 'containers']).default('process'),
    )
    .action(async (path: string, opts: { runtime: string }) => {
      const { loadScenario } = await import('../../scenario/load.ts')
      const { scenario } = await loadScenario(path)
      const { startStack } = await import('../../index.ts')
      const controller = new AbortController()
      const stopped = untilSignal().then(() => controller.abort())
      const stack = await startStack(scenario.stack, { runtime: opts.runtime, signal: controller.signal })
      const t = stack.targets
      out(t.issuer)
      out(`token endpoint   ${t.tokenEndpoint}`)
      out(`jwks             ${t.jwksUri}${t.rsJwksUri !== t.jwksUri ? ` (resource servers: ${t.rsJwksUri})` : ''}`)
      for (const rs of t.resourceServers)
        out(
          `resource server  ${rs.name} ${rs.apiUrl} (${rs.external ? 'yours' : `profile ${rs.profile ?? 'resilient'}, ${rs.mode ?? 'jwt'}`})`,
        )
      out(`clients          ${t.clients.map((c) => c.clientId).join(', ')}`)
      await stopped
      await stack.stop()
    })
}
