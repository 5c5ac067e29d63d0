/**
 * POST /token (RFC 6749 §3.2): urlencoded body only, client authentication,
 * then one grant handler per grant_type. Chaos knobs (latency, injected
 * errors, CPU cost) act here, before any real work, per grant type or '*'.
 * A DPoP proof (RFC 9449) is checked before the grant runs, so a refused
 * proof (or a nonce retry, §8) does not spend an authorization code.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { authenticateClient, type AsContext, finishTokenResponse, markRequest } from '../context.ts'
import { dpopResponseHeaders, tokenRequestBinding } from '../dpop.ts'
import { formBody, type Params } from '../form.ts'
import { authorizationCode } from '../grants/authorization-code.ts'
import { clientCredentials } from '../grants/client-credentials.ts'
import { deviceCode } from '../grants/device-code.ts'
import { refreshToken } from '../grants/refresh-token.ts'
import type { GrantHandler } from '../grants/types.ts'
import { OAuthError, invalidRequest } from '../oauth-error.ts'

export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

const grants: Record<string, GrantHandler> = {
  client_credentials: clientCredentials,
  authorization_code: authorizationCode,
  refresh_token: refreshToken,
  [DEVICE_GRANT]: deviceCode,
}

export const REPEATABLE: ReadonlySet<string> = new Set(['resource'])
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

function burn(ms: number): void {
  const end = performance.now() + ms
  while (performance.now() < end) {
    // spin: models a CPU-bound AS (hashing, HSM, policy engine) with a known knee
  }
}

const ERROR_FOR_STATUS: Record<number, OAuthError['error']> = {
  429: 'rate_limited',
  500: 'server_error',
  503: 'temporarily_unavailable',
}

async function chaos(ctx: AsContext, grantType: string): Promise<void> {
  const c = ctx.chaos
  const lat = c.tokenLatency[grantType] ?? c.tokenLatency['*']
  if (lat) await sleep(lat.fixedMs + (lat.jitterMs > 0 ? Math.random() * lat.jitterMs : 0))
  if (c.tokenCostCpuMs > 0) burn(c.tokenCostCpuMs)
  const err = c.tokenErrors[grantType] ?? c.tokenErrors['*']
  if (err && Math.random() < err.ratio) {
    const code = ERROR_FOR_STATUS[err.status] ?? (err.status >= 500 ? 'server_error' : 'invalid_request')
    throw new OAuthError(code, 'injected by chaos', {
      status: err.status,
      headers: err.status === 429 || err.status === 503 ? { 'retry-after': '1' } : {},
    })
  }
}

/** Whether any token-endpoint chaos knob is set (the fast path leaves those requests to fastify). */
export function tokenChaosActive(ctx: AsContext): boolean {
  const c = ctx.chaos
  return c.tokenCostCpuMs > 0 || Object.keys(c.tokenLatency).length > 0 || Object.keys(c.tokenErrors).length > 0
}

/** The grant type a request names, when it is one this AS supports (a metrics label). */
export function knownGrant(params: Params): string | undefined {
  const g = params.get('grant_type')
  return g !== undefined && grants[g] ? g : undefined
}

/**
 * Everything after parsing and chaos: client authentication, grant dispatch.
 * Returns the token response body or throws an {@link OAuthError}. Shared by
 * the fastify route and the raw fast path (`fast-token.ts`).
 */
export function issueTokenResponse(
  ctx: AsContext,
  headers: { authorization?: string; dpop?: string | string[] },
  params: Params,
  multi: Map<string, string[]>,
): Record<string, unknown> {
  const grantType = params.get('grant_type')
  const client = authenticateClient(ctx, { headers }, params, { allowPublic: true })
  if (grantType === undefined) throw invalidRequest('grant_type is required')
  const grant = grants[grantType]
  if (!grant)
    throw new OAuthError(
      'unsupported_grant_type',
      `grant_type ${JSON.stringify(grantType.slice(0, 80))} is not supported`,
    )
  if (!(client.grantTypes as string[]).includes(grantType))
    throw new OAuthError('unauthorized_client', `client may not use ${grantType}`)
  const jkt = tokenRequestBinding(ctx.dpop, headers.dpop, client, `${ctx.issuer}/token`, () => ctx.clock.now())
  return grant(ctx, client, params, multi.get('resource') ?? [], jkt === undefined ? {} : { jkt })
}

export function tokenRoute(app: FastifyInstance, ctx: AsContext): void {
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache')
    const multi = new Map<string, string[]>()
    const params = formBody(req, REPEATABLE, multi)
    markRequest(req, knownGrant(params))
    if (tokenChaosActive(ctx)) await chaos(ctx, params.get('grant_type') ?? '*')
    if (req.headers.dpop !== undefined) reply.headers(dpopResponseHeaders(ctx.dpop))
    return finishTokenResponse(issueTokenResponse(ctx, req.headers, params, multi))
  }
  app.post('/token', handler)
}
