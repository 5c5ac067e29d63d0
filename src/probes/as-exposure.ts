/**
 * as-exposure (F8) — what the authorization server tells whoever asks.
 * RFC 7662 §2.1 requires the introspection endpoint to authenticate its
 * callers, and §4 warns that an endpoint any client may call lets it scan
 * for live tokens; RFC 8707 §2 wants `invalid_target` for a resource the AS
 * does not serve. Checks, each an exposure when it gets an answer it
 * should not:
 *
 * - `unauthenticated`: introspection of a live token with no client authentication;
 * - `wrong-secret`: the same with a registered client id and a wrong secret;
 * - `cross-client-access` / `cross-client-refresh`: a client introspecting
 *   another client's access and refresh tokens (both clients from the stack);
 * - `unregistered-audience`: a token request for a resource nobody registered.
 *
 * A burst of random tokens at the introspection endpoint is reported (did
 * the AS throttle?) but not counted. Works against mock-as and an external
 * AS given two clients' credentials.
 */
import { randomBytes } from 'node:crypto'
import { Type } from '@sinclair/typebox'
import { clientSecretBasic } from '../oauth/client-auth.ts'
import { fetchTransport } from '../oauth/transport.ts'
import { authCodeLogin, clientCredentials, type OAuthClient } from '../oauth/client.ts'
import { endpointsOf } from '../faults/support.ts'
import type { ClientCredentials } from '../runtime/types.ts'
import { Duration } from '../scenario/schema.ts'
import { registerSecret } from '../util/secrets.ts'
import { deadline } from './support.ts'
import { defineProbe } from './types.ts'

const ID = 'as-exposure'

/** One check's finding, as run.json records it. */
export interface ExposureFinding {
  check:
    | 'unauthenticated'
    | 'wrong-secret'
    | 'cross-client-access'
    | 'cross-client-refresh'
    | 'unregistered-audience'
    | 'token-scanning-burst'
  applicable: boolean
  exposed: boolean
  status: number
  reason?: string
  /** token-scanning-burst only: requests sent and 429s received. */
  sent?: number
  throttled?: number
}

const basic = clientSecretBasic

async function introspect(
  url: string,
  token: string,
  authorization: string | undefined,
  signal: AbortSignal,
): Promise<{ status: number; active?: boolean }> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  }
  if (authorization) headers.authorization = authorization
  const res = await fetchTransport({ probe: ID })({
    url,
    method: 'POST',
    headers,
    body: new URLSearchParams({ token }).toString(),
    signal,
  })
  let body: { active?: unknown } = {}
  try {
    body = JSON.parse(res.body) as { active?: unknown }
  } catch {
    // not JSON: no answer about activity
  }
  return typeof body.active === 'boolean' ? { status: res.status, active: body.active } : { status: res.status }
}

const asClient = (c: ClientCredentials): OAuthClient => ({
  clientId: c.clientId,
  ...(c.clientSecret ? { clientSecret: c.clientSecret } : {}),
  ...(c.redirectUris[0] ? { redirectUri: c.redirectUris[0] } : {}),
})

export const asExposure = defineProbe({
  id: ID,
  summary:
    'Introspection without or with wrong client authentication, across clients, and tokens for unregistered audiences (exposures, must be 0).',
  params: Type.Object(
    {
      timeout: Duration('upper bound for every check', '20s'),
      introspectingClient: Type.Optional(
        Type.String({
          description:
            "clientId that introspects other clients' tokens (default: the first confidential client_credentials client)",
        }),
      ),
      burst: Type.Integer({
        minimum: 0,
        maximum: 500,
        default: 50,
        description:
          'random tokens sent to the introspection endpoint to see whether the AS throttles (reported, not counted); 0 skips',
      }),
    },
    { additionalProperties: false },
  ),
  needs: () => [],
  async run(ctx, params, signal) {
    const limit = deadline(signal, params.timeout)
    const t = ctx.targets
    const ep = endpointsOf(t, 'as-exposure')
    const findings: ExposureFinding[] = []
    const na = (check: ExposureFinding['check'], reason: string) =>
      findings.push({ check, applicable: false, exposed: false, status: 0, reason })
    const confidential = t.clients.filter((c) => c.clientSecret && !c.public)
    const scanner = params.introspectingClient
      ? t.clients.find((c) => c.clientId === params.introspectingClient)
      : confidential.find((c) => c.grantTypes.includes('client_credentials'))
    const loginClient = t.clients.find(
      (c) =>
        c.grantTypes.includes('authorization_code') &&
        c.grantTypes.includes('refresh_token') &&
        c.redirectUris.length > 0 &&
        c.clientId !== scanner?.clientId,
    )
    const user = t.users[0]

    // an access token of the scanner itself, for the authentication checks
    const own = scanner
      ? await clientCredentials(ep, asClient(scanner), { signal: limit.signal }).catch(() => undefined)
      : undefined
    const live = own?.access_token
    if (!t.introspectionEndpoint) {
      for (const c of [
        'unauthenticated',
        'wrong-secret',
        'cross-client-access',
        'cross-client-refresh',
        'token-scanning-burst',
      ] as const)
        na(c, 'the AS publishes no introspection_endpoint')
    } else {
      const url = t.introspectionEndpoint
      if (!live || !scanner) {
        na('unauthenticated', 'no confidential client_credentials client to get a live token with')
        na('wrong-secret', 'no confidential client_credentials client to get a live token with')
      } else {
        const a = await introspect(url, live, undefined, limit.signal)
        findings.push({
          check: 'unauthenticated',
          applicable: true,
          exposed: a.status === 200 && a.active === true,
          status: a.status,
        })
        const b = await introspect(
          url,
          live,
          basic(scanner.clientId, `wrong-${randomBytes(6).toString('hex')}`),
          limit.signal,
        )
        findings.push({
          check: 'wrong-secret',
          applicable: true,
          exposed: b.status === 200 && b.active === true,
          status: b.status,
        })
      }
      const login =
        loginClient && user && scanner?.clientSecret
          ? await authCodeLogin(ep, asClient(loginClient), {
              username: user.username,
              password: user.password,
              signal: limit.signal,
              ...(loginClient.scopes[0] ? { scope: loginClient.scopes[0] } : {}),
            }).catch(() => undefined)
          : undefined
      for (const [check, token] of [
        ['cross-client-access', login?.access_token],
        ['cross-client-refresh', login?.refresh_token],
      ] as const) {
        if (!token || !scanner?.clientSecret) {
          na(
            check,
            `needs a second client that logs a user in (authorization_code + refresh_token) besides ${scanner?.clientId ?? 'a confidential client'}`,
          )
          continue
        }
        const r = await introspect(url, token, basic(scanner.clientId, scanner.clientSecret), limit.signal)
        findings.push({
          check,
          applicable: true,
          exposed: r.status === 200 && r.active === true,
          status: r.status,
          ...(r.active
            ? { reason: `${scanner.clientId} learned that a token of ${loginClient!.clientId} is live` }
            : {}),
        })
      }
      if (params.burst > 0 && scanner?.clientSecret) {
        let sent = 0
        let throttled = 0
        const auth = basic(scanner.clientId, scanner.clientSecret)
        for (let i = 0; i < params.burst && !limit.signal.aborted; i++) {
          const r = await introspect(url, randomBytes(24).toString('base64url'), auth, limit.signal).catch(
            () => undefined,
          )
          if (!r) break
          sent += 1
          if (r.status === 429) throttled += 1
        }
        findings.push({
          check: 'token-scanning-burst',
          applicable: true,
          exposed: false,
          status: 0,
          sent,
          throttled,
          reason: throttled > 0 ? 'the AS throttled the burst' : 'the AS answered every guess (no throttling)',
        })
      }
    }
    if (scanner) {
      const r = await clientCredentials(ep, asClient(scanner), {
        resource: 'https://unregistered.gameday.invalid',
        signal: limit.signal,
      }).catch(() => undefined)
      registerSecret(r?.access_token)
      if (r)
        findings.push({
          check: 'unregistered-audience',
          applicable: true,
          exposed: r.ok,
          status: r.status,
          ...(r.ok
            ? { reason: 'a token was issued for an audience nobody registered (RFC 8707 §2 wants invalid_target)' }
            : {}),
        })
    } else na('unregistered-audience', 'no confidential client_credentials client')

    const breakdown: Record<string, number> = {}
    for (const f of findings)
      if (f.applicable && f.check !== 'token-scanning-burst') breakdown[f.check] = f.exposed ? 1 : 0
    const value = findings.filter((f) => f.exposed).length
    const outcome = {
      name: 'AS exposures',
      value,
      unit: 'count' as const,
      breakdown,
      observations: findings.map((f) => ({ ...f })),
    }
    if (limit.expired())
      return { ...outcome, status: 'timeout' as const, error: `the checks did not finish within ${params.timeout}` }
    return { ...outcome, status: 'ok' as const }
  },
})
