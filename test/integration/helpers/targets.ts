/**
 * Build a {@link Targets} object from a running mock-as (and optional
 * resource servers), the way the process runtime would: endpoints from the
 * AS metadata (RFC 8414), the documented default clients and user, control
 * handles when admin tokens are given. Shared by integration suites.
 */
import { createAsControl } from '../../../mock-as/client.ts'
import { clientCredentialsOf } from '../../../src/runtime/targets.ts'
import { DEFAULT_CLIENTS, DEFAULT_USERS } from '../../../mock-as/config.ts'
import type { RsTarget, Targets } from '../../../src/runtime/types.ts'

export interface RsSpec {
  name: string
  /** Base URL of the RS (scheme://host:port). */
  url: string
  /** Path of the protected route (default `/api/orders`). */
  apiPath?: string
  scope?: string
  audience?: string
  mode?: 'jwt' | 'introspection'
  profile?: string
  external?: boolean
}

/**
 * Targets for mock-as at `asUrl` (its issuer) and the RSs in `rsList`.
 *
 * @example
 * const targets = await targetsFor(as.url, [{ name: 'orders', url: rsUrl }], { adminToken })
 */
export async function targetsFor(
  asUrl: string,
  rsList: RsSpec[] = [],
  options: { adminToken?: string } = {},
): Promise<Targets> {
  const issuer = asUrl.replace(/\/$/, '')
  const res = await fetch(`${issuer}/.well-known/oauth-authorization-server`)
  if (!res.ok) throw new Error(`targetsFor: metadata of ${issuer} answered ${res.status}`)
  const md = (await res.json()) as Record<string, string | undefined>
  const resourceServers: RsTarget[] = rsList.map((rs) => ({
    name: rs.name,
    baseUrl: rs.url.replace(/\/$/, ''),
    apiUrl: `${rs.url.replace(/\/$/, '')}${rs.apiPath ?? '/api/orders'}`,
    scope: rs.scope ?? 'orders:read',
    audience: rs.audience ?? 'https://api.example',
    ...(rs.profile ? { profile: rs.profile } : {}),
    mode: rs.mode ?? 'jwt',
    external: rs.external ?? false,
  }))
  const as = options.adminToken ? createAsControl(issuer, options.adminToken) : undefined
  return {
    issuer: md.issuer ?? issuer,
    tokenEndpoint: md.token_endpoint ?? `${issuer}/token`,
    authorizationEndpoint: md.authorization_endpoint ?? `${issuer}/authorize`,
    ...(md.introspection_endpoint ? { introspectionEndpoint: md.introspection_endpoint } : {}),
    ...(md.revocation_endpoint ? { revocationEndpoint: md.revocation_endpoint } : {}),
    ...(md.device_authorization_endpoint ? { deviceAuthorizationEndpoint: md.device_authorization_endpoint } : {}),
    jwksUri: md.jwks_uri ?? `${issuer}/jwks`,
    rsJwksUri: md.jwks_uri ?? `${issuer}/jwks`,
    clients: DEFAULT_CLIENTS.map(clientCredentialsOf),
    users: DEFAULT_USERS.map((u) => ({ ...u })),
    resourceServers,
    // an AS the stack controls is not external; without an admin token there is no control handle
    control: as ? { as } : { as: undefined },
    feeds: as ? [as] : [],
  }
}
