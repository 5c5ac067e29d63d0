/**
 * POST /par — pushed authorization requests (RFC 9126). The client sends
 * the authorization request's parameters on the back channel, authenticated
 * as at the token endpoint (§2.1), and gets a one-time `request_uri`
 * (`urn:ietf:params:oauth:request_uri:…`) that lives `par.requestUriTtl`
 * (60 s by default, always under 600 s: §2.2). `/authorize` then takes only
 * `client_id` and `request_uri` ({@link takePushed}); a client registered
 * with `requirePushedAuthorizationRequests` is refused without one (§5).
 */
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { durationMs } from '../../src/util/duration.ts'
import { type AsContext, authenticateClient } from '../context.ts'
import { formBody, type Params } from '../form.ts'
import { OAuthError, invalidRequest } from '../oauth-error.ts'
import { redirectMatches } from './authorize.ts'

export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:'
const MAX_PUSHED = 100_000

interface Pushed {
  clientId: string
  params: Array<[string, string]>
  resource: string[]
  /** Epoch ms (the AS's base clock). */
  exp: number
}

const stores = new WeakMap<AsContext, Map<string, Pushed>>()

function storeOf(ctx: AsContext): Map<string, Pushed> {
  let s = stores.get(ctx)
  if (!s) {
    s = new Map()
    stores.set(ctx, s)
  }
  return s
}

/** Whether a client must push its authorization requests. */
export function requiresPar(client: { requirePushedAuthorizationRequests?: boolean }): boolean {
  return client.requirePushedAuthorizationRequests === true
}

/**
 * Resolve and consume a `request_uri` presented at /authorize by `clientId`:
 * the pushed parameters, or why not (unknown, used, expired, another client's).
 */
export function takePushed(
  ctx: AsContext,
  requestUri: string,
  clientId: string,
): { params: Params; resource: string[] } | { error: string } {
  const store = storeOf(ctx)
  const p = store.get(requestUri)
  if (!p) return { error: 'request_uri is unknown or was already used' }
  store.delete(requestUri)
  if (p.exp <= ctx.clock.base()) return { error: 'request_uri has expired' }
  if (p.clientId !== clientId) return { error: 'request_uri was pushed by another client' }
  return { params: new Map(p.params), resource: p.resource }
}

export function parRoute(app: FastifyInstance, ctx: AsContext): void {
  app.post('/par', async (req, reply) => {
    reply.header('cache-control', 'no-store')
    const multi = new Map<string, string[]>()
    const params = formBody(req, new Set(['resource']), multi)
    const client = authenticateClient(ctx, req, params, { allowPublic: true })
    if (params.has('request_uri')) throw invalidRequest('request_uri must not be pushed (RFC 9126 §2.1)')
    if (params.has('request')) throw invalidRequest('request objects are not supported')
    if (params.get('response_type') !== 'code')
      throw new OAuthError('unsupported_response_type', 'only response_type=code is supported')
    if (!client.grantTypes.includes('authorization_code'))
      throw new OAuthError('unauthorized_client', 'client may not use authorization_code')
    const redirectUri = params.get('redirect_uri')
    if (redirectUri !== undefined ? !redirectMatches(client, redirectUri) : client.redirectUris.length !== 1)
      throw invalidRequest(
        redirectUri === undefined ? 'redirect_uri is required' : 'redirect_uri is not registered for this client',
      )
    const store = storeOf(ctx)
    const now = ctx.clock.base()
    if (store.size >= MAX_PUSHED) for (const [k, p] of store) if (p.exp <= now) store.delete(k)
    if (store.size >= MAX_PUSHED)
      throw new OAuthError('temporarily_unavailable', 'too many pending pushed requests', {
        headers: { 'retry-after': '1' },
      })
    const ttlMs = durationMs(ctx.config.par.requestUriTtl)
    const requestUri = `${REQUEST_URI_PREFIX}${randomBytes(24).toString('base64url')}`
    const kept = [...params].filter(
      ([k]) => k !== 'client_secret' && k !== 'client_assertion' && k !== 'client_assertion_type' && k !== 'resource',
    )
    store.set(requestUri, {
      clientId: client.clientId,
      params: kept,
      resource: multi.get('resource') ?? [],
      exp: now + ttlMs,
    })
    return reply.code(201).send({ request_uri: requestUri, expires_in: Math.floor(ttlMs / 1000) })
  })
}
