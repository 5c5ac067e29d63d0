/**
 * Targets from a started stack: the AS metadata, the clients and users the
 * load may use, the resource servers, and the control handles of every
 * reference component. Shared by every runtime, so the process and
 * containers runtimes hand the load exactly the same view.
 */
import { request } from 'undici'
import { type ClientConfig, DEFAULT_CLIENTS, DEFAULT_USERS } from '../../mock-as/config.ts'
import { createAsControl } from '../../mock-as/client.ts'
import { createRsControl } from '../../mock-rs/client.ts'
import { resolveKnobs } from '../../mock-rs/profiles.ts'
import { GamedayError } from '../errors.ts'
import { createCdnControl } from '../../jwks-cdn/client.ts'
import { createProxyControl } from '../../fault-proxy/client.ts'
import type { StackConfig } from '../scenario/schema.ts'
import { assertLoopbackUrl } from '../util/loopback.ts'
import { resolveSecretRef } from '../util/secret-ref.ts'
import { registerSecret } from '../util/secrets.ts'
import { parsePrivateKey } from './client-keys.ts'
import type { StackPlan } from './plan.ts'
import type { ClientCredentials, EventFeed, RsTarget, Targets } from './types.ts'

/** A started component: its plan name and the URL it answered on. */
export interface StartedComponent {
  name: string
  url: string
  adminToken: string
}

interface AsMetadata {
  issuer: string
  token_endpoint: string
  authorization_endpoint?: string
  introspection_endpoint?: string
  revocation_endpoint?: string
  device_authorization_endpoint?: string
  pushed_authorization_request_endpoint?: string
  jwks_uri: string
}

/** Fetch RFC 8414 metadata, falling back to OpenID discovery. */
export async function discoverMetadata(issuer: string, signal?: AbortSignal): Promise<AsMetadata> {
  const base = issuer.replace(/\/$/, '')
  const urls = [`${base}/.well-known/oauth-authorization-server`, `${base}/.well-known/openid-configuration`]
  let lastError: unknown
  for (const url of urls) {
    try {
      const res = await request(url, { signal, headersTimeout: 5000, bodyTimeout: 5000 })
      if (res.statusCode !== 200) {
        await res.body.dump()
        lastError = new Error(`${url} answered ${res.statusCode}`)
        continue
      }
      const meta = (await res.body.json()) as AsMetadata
      if (typeof meta.token_endpoint !== 'string' || typeof meta.jwks_uri !== 'string') {
        lastError = new Error(`${url} has no token_endpoint or jwks_uri`)
        continue
      }
      return meta
    } catch (err) {
      lastError = err
    }
  }
  throw new GamedayError('ERR_RUNTIME_START_FAILED', `cannot read the authorization server metadata at ${base}`, {
    cause: lastError,
    hint: 'is the issuer URL right? /.well-known/oauth-authorization-server or /.well-known/openid-configuration must answer 200',
  })
}

function replaceOrigin(url: string, origin: string): string {
  const u = new URL(url)
  const o = new URL(origin)
  u.protocol = o.protocol
  u.host = o.host
  return u.toString()
}

/** A mock-as client configuration as the load sees it (a copy: the config is never shared). */
export function clientCredentialsOf(c: ClientConfig): ClientCredentials {
  return {
    clientId: c.clientId,
    ...(c.clientSecret ? { clientSecret: c.clientSecret } : {}),
    public: c.public,
    grantTypes: [...c.grantTypes],
    scopes: [...c.scopes],
    ...(c.audience ? { audience: c.audience } : {}),
    redirectUris: [...c.redirectUris],
    tokenFormat: c.tokenFormat,
    ...(c.tokenEndpointAuthMethod ? { authMethod: c.tokenEndpointAuthMethod } : {}),
  }
}

/** Build the Targets of a stack from its plan and the components that answered. */
export async function buildTargets(
  stack: StackConfig,
  plan: StackPlan,
  started: StartedComponent[],
  signal?: AbortSignal,
): Promise<Targets> {
  const byName = new Map(started.map((c) => [c.name, c]))
  const asCfg = stack.authorizationServer
  const meta = await discoverMetadata(plan.issuer, signal)
  const proxy = byName.get('fault-proxy')
  const cdn = byName.get('jwks-cdn')
  const as = byName.get('as')

  let clients: ClientCredentials[]
  let users: Array<{ username: string; password: string }>
  if (asCfg.external) {
    clients = asCfg.external.clients.map((c, i) => ({
      clientId: c.clientId,
      ...(c.clientSecret
        ? {
            clientSecret: resolveSecretRef(
              c.clientSecret,
              `stack.authorizationServer.external.clients[${i}].clientSecret`,
            ),
          }
        : {}),
      public: c.public,
      grantTypes: c.grantTypes,
      scopes: c.scopes,
      ...(c.audience ? { audience: c.audience } : {}),
      redirectUris: c.redirectUris,
      ...(c.tokenEndpointAuthMethod ? { authMethod: c.tokenEndpointAuthMethod } : {}),
      ...(c.privateKey
        ? {
            privateKey: parsePrivateKey(
              resolveSecretRef(c.privateKey, `stack.authorizationServer.external.clients[${i}].privateKey`),
              `stack.authorizationServer.external.clients[${i}].privateKey`,
              c.keyId,
            ),
          }
        : {}),
    }))
    users = asCfg.external.users.map((u, i) => ({
      username: u.username,
      password: resolveSecretRef(u.password, `stack.authorizationServer.external.users[${i}].password`),
    }))
  } else {
    clients = (asCfg.clients ?? DEFAULT_CLIENTS).map((c) => {
      registerSecret(c.clientSecret)
      const key = plan.clientKeys[c.clientId]
      return { ...clientCredentialsOf(c), ...(key ? { privateKey: key } : {}) }
    })
    users = (asCfg.users ?? DEFAULT_USERS).map((u) => ({ ...u }))
    for (const u of users) registerSecret(u.password)
  }

  const resourceServers: RsTarget[] = stack.resourceServers.map((rs) => {
    if (rs.url) {
      const u = new URL(rs.url)
      return {
        name: rs.name,
        baseUrl: u.origin,
        apiUrl: rs.url,
        scope: rs.scope,
        audience: rs.audience,
        external: true,
      }
    }
    const c = byName.get(`rs-${rs.name}`)
    if (!c)
      throw new GamedayError('ERR_RUNTIME_START_FAILED', `resource server ${rs.name} was planned but did not start`)
    const profile = rs.profile ?? 'resilient'
    const knobs = resolveKnobs(profile, rs.options ?? {})
    return {
      name: rs.name,
      baseUrl: c.url,
      apiUrl: `${c.url}/api/orders`,
      scope: rs.scope,
      audience: rs.audience,
      profile,
      mode: knobs.mode,
      external: false,
      control: createRsControl(c.url, c.adminToken, rs.name),
    }
  })

  const control: Targets['control'] = {}
  let externalAsControl: string | undefined
  if (as) control.as = createAsControl(as.url, as.adminToken)
  else if (asCfg.external?.control) {
    // a long-lived mock-as of yours: its control API is checked at preflight (preflightCheck)
    // named explicitly in the scenario, so it may be any address (as the external issuer may)
    const url = assertLoopbackUrl(
      asCfg.external.control.url,
      'stack.authorizationServer.external.control.url',
      true,
    ).toString()
    control.as = createAsControl(
      url,
      resolveSecretRef(asCfg.external.control.adminToken, 'stack.authorizationServer.external.control.adminToken'),
    )
    externalAsControl = url
  }
  if (cdn) control.cdn = createCdnControl(cdn.url, cdn.adminToken)
  if (proxy) control.proxy = createProxyControl(proxy.url, proxy.adminToken)
  const feeds: EventFeed[] = [control.as, control.proxy, control.cdn, ...resourceServers.map((r) => r.control)].filter(
    (f): f is NonNullable<typeof f> => f !== undefined,
  )

  const tokenEndpoint =
    proxy && stack.faultProxy?.tokenTraffic ? replaceOrigin(meta.token_endpoint, proxy.url) : meta.token_endpoint
  const targets: Targets = {
    issuer: meta.issuer ?? plan.issuer,
    tokenEndpoint,
    authorizationEndpoint: meta.authorization_endpoint ?? `${plan.issuer}/authorize`,
    jwksUri: meta.jwks_uri,
    rsJwksUri: plan.rsJwksUri ?? meta.jwks_uri,
    clients,
    users,
    resourceServers,
    control,
    feeds,
  }
  if (externalAsControl) targets.externalAsControl = externalAsControl
  if (cdn || proxy) targets.componentUrls = { ...(cdn ? { cdn: cdn.url } : {}), ...(proxy ? { proxy: proxy.url } : {}) }
  if (meta.introspection_endpoint) targets.introspectionEndpoint = meta.introspection_endpoint
  if (meta.revocation_endpoint) targets.revocationEndpoint = meta.revocation_endpoint
  if (meta.device_authorization_endpoint) targets.deviceAuthorizationEndpoint = meta.device_authorization_endpoint
  if (meta.pushed_authorization_request_endpoint)
    targets.pushedAuthorizationRequestEndpoint = meta.pushed_authorization_request_endpoint
  return targets
}

/** Poll GET <url>/healthz until it answers 200, or throw ERR_RUNTIME_HEALTH_TIMEOUT. */
export async function waitHealthy(name: string, url: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last = 'no answer'
  while (Date.now() < deadline) {
    signal?.throwIfAborted()
    try {
      const res = await request(`${url}/healthz`, { headersTimeout: 1000, bodyTimeout: 1000 })
      await res.body.dump()
      if (res.statusCode === 200) return
      last = `status ${res.statusCode}`
    } catch (err) {
      last = (err as Error).message
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new GamedayError(
    'ERR_RUNTIME_HEALTH_TIMEOUT',
    `${name}: /healthz did not answer 200 within ${timeoutMs} ms (${last})`,
  )
}
