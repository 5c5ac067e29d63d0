/**
 * Small helpers every fault and probe uses: the control handle it needs (or
 * a clear ERR_CAPABILITY_MISSING), a revert that runs once, the OAuth
 * endpoints and clients out of the Targets, and an abortable sleep.
 */
import { GamedayError } from '../errors.ts'
import type { AsControl, CdnControl, ClientCredentials, ProxyControl, RsTarget, Targets } from '../runtime/types.ts'
import type { OAuthClient, OAuthEndpoints } from '../oauth/client.ts'
import { fetchTransport } from '../oauth/transport.ts'

/** The mock-as chaos handle, or ERR_CAPABILITY_MISSING naming the unit. */
export function requireAs(targets: Targets, unit: string): AsControl {
  if (!targets.control.as)
    throw new GamedayError(
      'ERR_CAPABILITY_MISSING',
      `${unit}: needs the mock-as control API (the authorization server is external)`,
    )
  return targets.control.as
}

export function requireCdn(targets: Targets, unit: string): CdnControl {
  if (!targets.control.cdn)
    throw new GamedayError('ERR_CAPABILITY_MISSING', `${unit}: needs a jwksCdn in the stack`, {
      hint: 'add `jwksCdn: {}` to the stack section',
    })
  return targets.control.cdn
}

export function requireProxy(targets: Targets, unit: string): ProxyControl {
  if (!targets.control.proxy)
    throw new GamedayError('ERR_CAPABILITY_MISSING', `${unit}: needs a faultProxy in the stack`, {
      hint: 'add `faultProxy: {}` to the stack section',
    })
  return targets.control.proxy
}

/** Resource servers named by `target`, or all of them; refuses an unknown name. */
export function selectRs(targets: Targets, unit: string, target?: string): RsTarget[] {
  if (target === undefined) return targets.resourceServers
  const rs = targets.resourceServers.find((r) => r.name === target)
  if (!rs)
    throw new GamedayError('ERR_SCENARIO_INVALID', `${unit}: unknown resource server ${JSON.stringify(target)}`, {
      hint: `known: ${targets.resourceServers.map((r) => r.name).join(', ') || 'none'}`,
    })
  return [rs]
}

/** Wrap a revert so the second call is a no-op and concurrent calls share one run. */
export function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined
  return () => {
    running ??= fn()
    return running
  }
}

/** The OAuth endpoints of the stack. */
export function endpointsOf(targets: Targets, unit: string): OAuthEndpoints {
  return {
    transport: fetchTransport({ probe: unit }),
    issuer: targets.issuer,
    authorizationEndpoint: targets.authorizationEndpoint,
    tokenEndpoint: targets.tokenEndpoint,
    ...(targets.revocationEndpoint ? { revocationEndpoint: targets.revocationEndpoint } : {}),
    ...(targets.introspectionEndpoint ? { introspectionEndpoint: targets.introspectionEndpoint } : {}),
  }
}

/** A registered client by id, or the first one that has `grant`. */
export function pickClient(
  targets: Targets,
  unit: string,
  grant: string,
  clientId?: string,
): OAuthClient & { creds: ClientCredentials } {
  const c = clientId
    ? targets.clients.find((x) => x.clientId === clientId)
    : targets.clients.find((x) => x.grantTypes.includes(grant))
  if (!c)
    throw new GamedayError(
      'ERR_SCENARIO_INVALID',
      `${unit}: no client ${clientId ? JSON.stringify(clientId) : `with grant ${grant}`}`,
      { hint: `clients: ${targets.clients.map((x) => x.clientId).join(', ')}` },
    )
  return {
    clientId: c.clientId,
    ...(c.clientSecret ? { clientSecret: c.clientSecret } : {}),
    ...(c.authMethod ? { authMethod: c.authMethod } : {}),
    ...(c.privateKey ? { privateKey: c.privateKey, assertionAudience: targets.issuer } : {}),
    ...(c.redirectUris[0] ? { redirectUri: c.redirectUris[0] } : {}),
    creds: c,
  }
}

/** The first user (or the named one), for auth-code logins. */
export function pickUser(targets: Targets, unit: string, username?: string): { username: string; password: string } {
  const u = username ? targets.users.find((x) => x.username === username) : targets.users[0]
  if (!u)
    throw new GamedayError(
      'ERR_SCENARIO_INVALID',
      `${unit}: no user ${username ? JSON.stringify(username) : 'in the stack'} to log in with`,
    )
  return u
}

/** Sleep that ends early (resolving false) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false)
  return new Promise((resolve) => {
    const t = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort)
        resolve(true)
      },
      Math.max(0, ms),
    )
    const onAbort = () => {
      clearTimeout(t)
      resolve(false)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** The path of a URL (used as a toxic's pathPrefix). */
export function pathOf(url: string): string {
  return new URL(url).pathname
}

/** Decode a JWT header without verifying (kid/alg of tokens the harness minted itself). */
export function jwtHeader(token: string): { kid?: string; alg?: string; typ?: string } {
  const part = token.split('.')[0]
  if (!part || token.split('.').length !== 3) return {}
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as { kid?: string; alg?: string }
  } catch {
    return {}
  }
}

/** Wrap a failure of a control call into ERR_FAULT_INJECT_FAILED with the cause. */
export function injectFailed(unit: string, err: unknown): GamedayError {
  if (err instanceof GamedayError && err.code !== 'ERR_CONTROL_REQUEST_FAILED') return err
  return new GamedayError('ERR_FAULT_INJECT_FAILED', `${unit}: ${err instanceof Error ? err.message : String(err)}`, {
    cause: err,
  })
}
