/**
 * POST /token (RFC 6749 §3.2): urlencoded body only, client authentication,
 * then one grant handler per grant_type. Chaos knobs (latency, injected
 * errors, CPU cost) act here, before any real work, per grant type or '*'.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { authenticateClient, type AsContext, markRequest } from '../context.ts'
import { formBody } from '../form.ts'
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

const REPEATABLE = new Set(['resource'])
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

function burn(ms: number): void {
  const end = performance.now() + ms
  while (performance.now() < end) {
    // spin: models a CPU-bound AS (hashing, HSM, policy engine) with a known knee
  }
}

const ERROR_FOR_STATUS: Record<number, OAuthError['error']> = { 429: 'rate_limited', 500: 'server_error', 503: 'temporarily_unavailable' }

async function chaos(ctx: AsContext, grantType: string): Promise<void> {
  const c = ctx.chaos
  const lat = c.tokenLatency[grantType] ?? c.tokenLatency['*']
  if (lat) await sleep(lat.fixedMs + (lat.jitterMs > 0 ? Math.random() * lat.jitterMs : 0))
  if (c.tokenCostCpuMs > 0) burn(c.tokenCostCpuMs)
  const err = c.tokenErrors[grantType] ?? c.tokenErrors['*']
  if (err && Math.random() < err.ratio) {
    const code = ERROR_FOR_STATUS[err.status] ?? (err.status >= 500 ? 'server_error' : 'invalid_request')
    throw new OAuthError(code, 'injected by chaos', { status: err.status, headers: err.status === 429 || err.status === 503 ? { 'retry-after': '1' } : {} })
  }
}

export function tokenRoute(app: FastifyInstance, ctx: AsContext): void {
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache')
    const resources: string[] = []
    const multi = new Map<string, string[]>()
    const params = formBody(req, REPEATABLE, multi)
    const grantType = params.get('grant_type')
    markRequest(req, grantType !== undefined && grants[grantType] ? grantType : undefined)
    const hasChaos = ctx.chaos.tokenCostCpuMs > 0 || Object.keys(ctx.chaos.tokenLatency).length > 0 || Object.keys(ctx.chaos.tokenErrors).length > 0
    if (hasChaos) await chaos(ctx, grantType ?? '*')
    const client = authenticateClient(ctx, req, params, { allowPublic: true })
    if (grantType === undefined) throw invalidRequest('grant_type is required')
    const grant = grants[grantType]
    if (!grant) throw new OAuthError('unsupported_grant_type', `grant_type ${JSON.stringify(grantType.slice(0, 80))} is not supported`)
    if (!(client.grantTypes as string[]).includes(grantType)) throw new OAuthError('unauthorized_client', `client may not use ${grantType}`)
    for (const r of multi.get('resource') ?? []) resources.push(r)
    return grant(ctx, client, params, resources)
  }
  app.post('/token', handler)
}
