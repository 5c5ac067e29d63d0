/**
 * From a scenario's stack section to the list of reference components to
 * start, in an order that works for every runtime: the AS, then the fault
 * proxy in front of it, then the CDN in front of that, then the resource
 * servers, which see the JWKS and introspection through CDN/proxy.
 *
 * Ports are chosen before anything starts, so a runtime can start all
 * components at once (and so containers on the host network know them).
 */
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { DEFAULT_CLIENTS } from '../../mock-as/config.ts'
import { GamedayError } from '../errors.ts'
import type { StackConfig } from '../scenario/schema.ts'
import type { ClientSigningKey } from '../oauth/client-assertion.ts'
import { resolveSecretRef } from '../util/secret-ref.ts'
import { withGeneratedKeys } from './client-keys.ts'
import { registerSecret } from '../util/secrets.ts'

export type ComponentRole = 'as' | 'rs' | 'cdn' | 'proxy'

/** One reference component: what to start, with which options, where. */
export interface ComponentPlan {
  /** `as`, `fault-proxy`, `jwks-cdn`, `rs-<name>`. */
  name: string
  role: ComponentRole
  host: string
  port: number
  adminToken: string
  /** Options for serveAs / serveRs / serveCdn / serveProxy (JSON-serializable). */
  options: Record<string, unknown>
}

export interface StackPlan {
  components: ComponentPlan[]
  /** Base URL of the reference AS, or the external issuer. */
  issuer: string
  external: boolean
  /** Where resource servers fetch the JWKS (through CDN / proxy when present). */
  rsJwksUri?: string
  /** Where resource servers introspect (through the proxy when present). */
  rsIntrospectionEndpoint?: string
  /** Signing keys generated for this run's private_key_jwt clients of the reference AS, by clientId. */
  clientKeys: Record<string, ClientSigningKey>
}

/** Profiles whose name says they validate by introspection. */
function profileUsesIntrospection(profile: string): boolean {
  return profile.includes('introspection') || profile === 'fail-open'
}

/** Ask the OS for a free loopback port. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, host, () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

function adminToken(): string {
  const t = randomBytes(18).toString('base64url')
  registerSecret(t)
  return t
}

/**
 * Plan the reference components of a stack.
 *
 * @example
 * ```ts
 * const plan = await planStack(scenario.stack)
 * for (const c of plan.components) console.log(c.name, c.port)
 * ```
 */
export async function planStack(stack: StackConfig, options: { host?: string } = {}): Promise<StackPlan> {
  const host = options.host ?? '127.0.0.1'
  const components: ComponentPlan[] = []
  const { external, port: asPort, ...asConfig } = stack.authorizationServer
  const jwksPath = '/jwks'
  let clientKeys: Record<string, ClientSigningKey> = {}

  let issuer: string
  if (external) {
    issuer = external.issuer.replace(/\/$/, '')
  } else {
    const port = asPort && asPort > 0 ? asPort : await freePort(host)
    issuer = asConfig.issuer ?? `http://${host}:${port}`
    // RFC 8707: the stack's RS audiences are the resources the AS issues tokens for
    const allowed = [
      ...new Set([
        ...(asConfig.resources?.allowed ?? []),
        ...stack.resourceServers.map((r) => r.audience).filter((a): a is string => typeof a === 'string'),
      ]),
    ]
    const resources = { allowAny: asConfig.resources?.allowAny ?? false, allowed }
    // private_key_jwt clients without jwks: a key pair per run, the public half registered at the AS
    const generated = asConfig.clients ? withGeneratedKeys(asConfig.clients) : undefined
    if (generated) clientKeys = generated.keys
    components.push({
      name: 'as',
      role: 'as',
      host,
      port,
      adminToken: adminToken(),
      options: { config: { ...asConfig, ...(generated ? { clients: generated.clients } : {}), issuer, resources } },
    })
  }

  // RS → (CDN) → (proxy) → AS
  let jwksBase = issuer
  let introspectionBase = issuer
  if (stack.faultProxy) {
    const port = stack.faultProxy.port && stack.faultProxy.port > 0 ? stack.faultProxy.port : await freePort(host)
    components.push({
      name: 'fault-proxy',
      role: 'proxy',
      host,
      port,
      adminToken: adminToken(),
      options: { upstream: issuer, allowExternal: Boolean(external) },
    })
    jwksBase = `http://${host}:${port}`
    introspectionBase = jwksBase
  }
  if (stack.jwksCdn) {
    const { port: cdnPort, ttl, staleWhileRevalidate, staleIfError, purgeDelay } = stack.jwksCdn
    const port = cdnPort && cdnPort > 0 ? cdnPort : await freePort(host)
    components.push({
      name: 'jwks-cdn',
      role: 'cdn',
      host,
      port,
      adminToken: adminToken(),
      options: {
        origin: jwksBase,
        ttl: ttl ?? null,
        staleWhileRevalidate,
        staleIfError,
        purgeDelay,
        allowExternal: Boolean(external) && !stack.faultProxy,
      },
    })
    jwksBase = `http://${host}:${port}`
  }
  const indirect = Boolean(stack.faultProxy || stack.jwksCdn)
  const rsJwksUri = indirect ? `${jwksBase}${jwksPath}` : undefined
  const rsIntrospectionEndpoint = stack.faultProxy ? `${introspectionBase}/introspect` : undefined
  // the reference AS at its own address serves these paths (its metadata names them): an RS told them does
  // not discover them, so it never waits on the AS to boot (on a loaded 2-core box a 16-RS stack's AS took
  // 15 s, and RSs whose 4 s discovery window ran out first exited)
  const reference = !external && !asConfig.issuer
  const rsOwnJwksUri = rsJwksUri ?? (reference ? `${issuer}${jwksPath}` : undefined)
  const rsOwnIntrospection = rsIntrospectionEndpoint ?? (reference ? `${issuer}/introspect` : undefined)

  const introspectionSecret = (clientId: string): string | undefined => {
    if (external) {
      const c = external.clients.find((x) => x.clientId === clientId)
      return c?.clientSecret
        ? resolveSecretRef(c.clientSecret, `stack.authorizationServer.external.clients[${clientId}].clientSecret`)
        : undefined
    }
    return (asConfig.clients ?? DEFAULT_CLIENTS).find((x) => x.clientId === clientId)?.clientSecret
  }

  for (const rs of stack.resourceServers) {
    if (rs.url) continue
    const introspectionClient = rs.introspectionClient ?? external?.introspectionClient ?? 'rs'
    const secret = introspectionSecret(introspectionClient)
    if (!secret && (rs.options?.mode === 'introspection' || profileUsesIntrospection(rs.profile ?? ''))) {
      throw new GamedayError(
        'ERR_SCENARIO_INVALID',
        `stack.resourceServers[${rs.name}]: introspection client ${JSON.stringify(introspectionClient)} is not a confidential client of the AS`,
        { hint: 'add it to the AS clients with a clientSecret, or set introspectionClient' },
      )
    }
    const port = rs.port && rs.port > 0 ? rs.port : await freePort(host)
    const profile = rs.profile ?? 'resilient'
    components.push({
      name: `rs-${rs.name}`,
      role: 'rs',
      host,
      port,
      adminToken: adminToken(),
      options: {
        name: rs.name,
        issuer,
        ...(rsOwnJwksUri ? { jwksUri: rsOwnJwksUri } : {}),
        ...(rsOwnIntrospection ? { introspectionEndpoint: rsOwnIntrospection } : {}),
        audience: rs.audience,
        profile,
        knobs: rs.options ?? {},
        readScope: rs.scope,
        ...(secret ? { introspectionClient: { clientId: introspectionClient, clientSecret: secret } } : {}),
      },
    })
  }
  const plan: StackPlan = { components, issuer, external: Boolean(external), clientKeys }
  if (rsJwksUri) plan.rsJwksUri = rsJwksUri
  if (rsIntrospectionEndpoint) plan.rsIntrospectionEndpoint = rsIntrospectionEndpoint
  return plan
}
