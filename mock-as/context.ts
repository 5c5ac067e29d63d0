/**
 * The shared context every route and grant works on: configuration, clients,
 * the store, keys, clock, events, metrics and chaos knobs; plus client
 * authentication (RFC 6749 §2.3) and token issuance (RFC 9068 JWTs or
 * opaque tokens), the two things every grant needs.
 */
import { sameSecret } from '../src/util/component/admin-auth.ts'
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import { durationMs } from '../src/util/duration.ts'
import type { AsConfig, ClientConfig } from './config.ts'
import type { AsClock } from './clock.ts'
import type { AsDpop } from './dpop.ts'
import type { EventLog } from './events.ts'
import type { Params } from './form.ts'
import { type KeyStore, PendingJwt, signPending } from './keys.ts'
import type { AsMetrics } from './metrics.ts'
import { OAuthError, invalidRequest } from './oauth-error.ts'
import type { AccessRecord, Grant, Store } from './store.ts'
import { authenticateByAssertion, usesPrivateKeyJwt } from './assertion-auth.ts'
import type { AssertionAudience } from './client-assertion.ts'

export interface ChaosState {
  tokenLatency: Record<string, { fixedMs: number; jitterMs: number }>
  tokenErrors: Record<string, { status: number; ratio: number }>
  tokenCostCpuMs: number
  introspectionRateLimit: { rate: number; burst: number } | null
  refreshReuseDetection: boolean
  /** The `aud` a client assertion may carry (the `assertion-aud-change` fault narrows it). */
  assertionAudience: AssertionAudience
}

export interface TtlsMs {
  accessToken: number
  refreshToken: number
  code: number
  deviceCode: number
  devicePoll: number
  reuseGrace: number
  jwksMaxAge: number
}

export interface AsContext {
  config: AsConfig
  issuer: string
  clients: Map<string, ClientConfig>
  users: Map<string, string>
  store: Store
  keys: KeyStore
  clock: AsClock
  events: EventLog
  metrics: AsMetrics
  chaos: ChaosState
  ttl: TtlsMs
  log: Logger
  /** Requests the token fast path answered (fast-token.ts); tests check the path was taken. */
  fastToken: { answered: number }
  /** DPoP (RFC 9449) settings, replay cache and nonces (dpop.ts). */
  dpop: AsDpop
}

export function defaultChaos(config: AsConfig): ChaosState {
  return {
    tokenLatency: {},
    tokenErrors: {},
    tokenCostCpuMs: 0,
    introspectionRateLimit: null,
    refreshReuseDetection: config.refreshReuseDetection,
    assertionAudience: config.clientAssertion.audience,
  }
}

export function ttls(config: AsConfig): TtlsMs {
  return {
    accessToken: durationMs(config.accessTokenTtl),
    refreshToken: durationMs(config.refreshTokenTtl),
    code: durationMs(config.codeTtl),
    deviceCode: durationMs(config.deviceCodeTtl),
    devicePoll: durationMs(config.devicePollInterval),
    reuseGrace: durationMs(config.refreshReuseGrace),
    jwksMaxAge: durationMs(config.jwksMaxAge),
  }
}

/** Constant-time comparison of two strings (hashing first so lengths do not leak). */
export const safeEqual: (a: string, b: string) => boolean = sameSecret

const secretDigests = new WeakMap<ClientConfig, Buffer>()

/** Compare a presented secret with a client's, hashing the stored one only once (hot path). */
function secretMatches(client: ClientConfig, presented: string): boolean {
  if (!client.clientSecret) return false
  let stored = secretDigests.get(client)
  if (!stored) {
    stored = createHash('sha256').update(client.clientSecret).digest()
    secretDigests.set(client, stored)
  }
  return timingSafeEqual(createHash('sha256').update(presented).digest(), stored)
}

/** Decode one half of Basic credentials: form-urlencoded per RFC 6749 §2.3.1. */
function basicPart(s: string): string | undefined {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '))
  } catch {
    return undefined
  }
}

const badClient = (description: string) => new OAuthError('invalid_client', description)

/**
 * Authenticate the client of a token-endpoint style request: client_secret_basic,
 * client_secret_post, private_key_jwt (assertion-auth.ts), or none for public clients. Two methods at once is
 * invalid_request; failures are invalid_client (401 + WWW-Authenticate).
 */
export function authenticateClient(
  ctx: AsContext,
  req: { headers: { authorization?: string } },
  params: Params,
  opts: { allowPublic: boolean },
): ClientConfig {
  const auth = req.headers.authorization
  const bodyId = params.get('client_id')
  const bodySecret = params.get('client_secret')
  if (params.has('client_assertion') || params.has('client_assertion_type'))
    return authenticateByAssertion(ctx, params, auth !== undefined)
  if (auth !== undefined) {
    const m = /^Basic +([A-Za-z0-9+/=._~-]*) *$/i.exec(auth)
    if (!m) {
      if (/^Basic\b/i.test(auth)) throw badClient('malformed Basic credentials')
      throw invalidRequest('unsupported Authorization scheme; use Basic or client_secret_post')
    }
    if (bodySecret !== undefined)
      throw invalidRequest('more than one client authentication method (Basic and client_secret)')
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon === -1) throw badClient('malformed Basic credentials (no colon)')
    const id = basicPart(decoded.slice(0, colon))
    const secret = basicPart(decoded.slice(colon + 1))
    if (id === undefined || secret === undefined || id === '')
      throw badClient('malformed Basic credentials (bad encoding)')
    if (bodyId !== undefined && bodyId !== id)
      throw invalidRequest('client_id in the body does not match the Basic credentials')
    const client = ctx.clients.get(id)
    if (!client || client.public || !secretMatches(client, secret)) throw badClient('client authentication failed')
    if (client.tokenEndpointAuthMethod === 'private_key_jwt') throw badClient('client must use private_key_jwt')
    return client
  }
  if (bodyId === undefined) throw badClient('client authentication required')
  const client = ctx.clients.get(bodyId)
  if (!client) throw badClient('client authentication failed')
  if (bodySecret !== undefined) {
    if (client.public || !secretMatches(client, bodySecret)) throw badClient('client authentication failed')
    if (client.tokenEndpointAuthMethod === 'private_key_jwt') throw badClient('client must use private_key_jwt')
    return client
  }
  if (!client.public)
    throw badClient(
      usesPrivateKeyJwt(client) ? 'client_assertion required (private_key_jwt)' : 'client authentication required',
    )
  if (!opts.allowPublic) throw badClient('public clients cannot use this endpoint')
  return client
}

/** Requested scopes must be a subset of what the client may ask; absent → all of them. */
export function resolveScope(client: ClientConfig, requested: string | undefined, ceiling?: string): string {
  const allowed = ceiling !== undefined ? ceiling.split(' ').filter(Boolean) : client.scopes
  if (requested === undefined) return allowed.join(' ')
  const wanted = requested.split(' ').filter(Boolean)
  for (const s of wanted)
    if (!allowed.includes(s))
      throw new OAuthError('invalid_scope', `scope ${JSON.stringify(s.slice(0, 64))} is not allowed for this client`)
  return [...new Set(wanted)].join(' ')
}

/** RFC 8707: each resource is an absolute URI without a fragment. */
export function checkResources(ctx: AsContext, values: string[]): string[] {
  for (const v of values) {
    let u: URL
    try {
      u = new URL(v)
    } catch {
      throw new OAuthError('invalid_target', `resource must be an absolute URI (got ${JSON.stringify(v.slice(0, 80))})`)
    }
    if (u.hash || v.includes('#')) throw new OAuthError('invalid_target', 'resource must not contain a fragment')
    if (!ctx.config.resources.allowAny && !knownResource(ctx, v))
      throw new OAuthError(
        'invalid_target',
        `resource ${JSON.stringify(v.slice(0, 80))} is not a resource server of this AS`,
      )
  }
  return values
}

/** A registered resource (RFC 8707 §2): in `resources.allowed` or some client's audience. */
function knownResource(ctx: AsContext, resource: string): boolean {
  if (ctx.config.resources.allowed.includes(resource)) return true
  for (const c of ctx.clients.values()) if (c.audience === resource) return true
  return false
}

/** Whether a client may introspect tokens issued to other clients (RFC 7662 §4). */
export function mayIntrospectOthers(ctx: AsContext, client: ClientConfig): boolean {
  return ctx.config.introspection.anyClient || (client.introspect ?? client.grantTypes.length === 0)
}

export function audienceFor(client: ClientConfig, resource: string[]): string | string[] {
  if (resource.length === 1) return resource[0]!
  if (resource.length > 1) return resource
  return client.audience ?? client.clientId
}

export interface IssuedAccess {
  /** A JWT is signed after the grant's bookkeeping: see {@link finishTokenResponse}. */
  access_token: string | PendingJwt
  /** DPoP when bound to a proof key (RFC 9449 §5). */
  token_type: 'Bearer' | 'DPoP'
  expires_in: number
  scope?: string
  jti: string
  kid?: string
}

const issuedChildren = new WeakMap<AsContext, Map<string, { inc(): void }>>()

function issuedCounter(ctx: AsContext, grantType: string, format: string): { inc(): void } {
  let m = issuedChildren.get(ctx)
  if (!m) {
    m = new Map()
    issuedChildren.set(ctx, m)
  }
  const key = `${grantType}|${format}`
  let c = m.get(key)
  if (!c) {
    c = ctx.metrics.tokensIssued.labels({ grant_type: grantType, format })
    m.set(key, c)
  }
  return c
}

/** Mint an access token for a client (and a grant, when there is one); `jkt` binds it to a DPoP key (`cnf.jkt`). */
export function issueAccessToken(
  ctx: AsContext,
  client: ClientConfig,
  sub: string,
  scope: string,
  aud: string | string[],
  grantType: string,
  grant?: Grant,
  jkt?: string,
): IssuedAccess {
  const iat = ctx.clock.nowSeconds()
  const ttlS = Math.floor(ctx.ttl.accessToken / 1000)
  const exp = iat + ttlS
  const stateless = client.tokenFormat === 'jwt' && grant === undefined
  const jti = stateless ? ctx.store.issueStateless(client.clientId, sub, exp, randomUUID()) : randomUUID()
  let token: string | PendingJwt
  let key: string = jti
  let kid: string | undefined
  if (client.tokenFormat === 'opaque') {
    token = randomBytes(32).toString('base64url')
    key = token
  } else {
    const payload: Record<string, unknown> = {
      iss: ctx.issuer,
      sub,
      aud,
      exp,
      iat,
      nbf: iat,
      jti,
      client_id: client.clientId,
    }
    if (scope) payload.scope = scope
    if (jkt !== undefined) payload.cnf = { jkt }
    const pending = ctx.keys.prepareJwt(payload)
    token = pending
    kid = pending.kid
  }
  if (!stateless) {
    const rec: AccessRecord = {
      key,
      jti,
      format: client.tokenFormat,
      clientId: client.clientId,
      sub,
      scope,
      aud,
      iat,
      exp,
      revoked: false,
    }
    if (jkt !== undefined) rec.jkt = jkt
    if (grant) {
      rec.grantId = grant.id
      grant.accessKeys.add(key)
    }
    ctx.store.access.set(key, rec)
  }
  issuedCounter(ctx, grantType, client.tokenFormat).inc()
  const out: IssuedAccess = {
    access_token: token,
    token_type: jkt === undefined ? 'Bearer' : 'DPoP',
    expires_in: ttlS,
    jti,
  }
  if (scope) out.scope = scope
  if (kid) out.kid = kid
  return out
}

/** Mint a refresh token in a grant's family; `jkt` binds it to a DPoP key (public clients, RFC 9449 §5). */
export function issueRefreshToken(
  ctx: AsContext,
  grant: Grant,
  scope: string,
  aud: string | string[],
  jkt?: string,
): string {
  const token = randomBytes(32).toString('base64url')
  const iat = ctx.clock.nowSeconds()
  ctx.store.refresh.set(token, {
    jti: randomUUID(),
    clientId: grant.clientId,
    sub: grant.sub,
    scope,
    aud,
    iat,
    exp: iat + Math.floor(ctx.ttl.refreshToken / 1000),
    grantId: grant.id,
    revoked: false,
    ...(jkt === undefined ? {} : { jkt }),
  })
  grant.refreshTokens.add(token)
  return token
}

/** The response body of a successful token request (internal fields dropped). */
export function tokenResponse(access: IssuedAccess, refreshToken?: string): Record<string, unknown> {
  const body: Record<string, unknown> = {
    access_token: access.access_token,
    token_type: access.token_type,
    expires_in: access.expires_in,
  }
  if (access.scope) body.scope = access.scope
  if (refreshToken) body.refresh_token = refreshToken
  return body
}

/**
 * Sign the access token of a token response, if it is still pending. Grants
 * do every state change synchronously (stores, rotation, events) and leave
 * only the signature, a pure function of fixed input and key, to the
 * threadpool; the response is written once it is done.
 */
export function finishTokenResponse(
  body: Record<string, unknown>,
): Record<string, unknown> | Promise<Record<string, unknown>> {
  const at = body.access_token
  if (!(at instanceof PendingJwt)) return body
  return signPending(at).then((jwt) => {
    body.access_token = jwt
    return body
  })
}

/** Find the access-token record behind a presented token (JWT → verified jti, else by value). */
export function findAccess(ctx: AsContext, token: string): AccessRecord | undefined {
  if (token.startsWith('eyJ')) {
    const payload = ctx.keys.verifyOwn(token)
    if (!payload || typeof payload.jti !== 'string') return undefined
    if (payload.iss !== ctx.issuer) return undefined
    const stored = ctx.store.access.get(payload.jti)
    if (stored) return stored
    const { jti, client_id: clientId, sub, iat, exp, aud, scope } = payload
    if (typeof clientId !== 'string' || typeof sub !== 'string' || typeof iat !== 'number' || typeof exp !== 'number')
      return undefined
    return {
      key: jti,
      jti,
      format: 'jwt',
      clientId,
      sub,
      scope: typeof scope === 'string' ? scope : '',
      aud: aud as string | string[],
      iat,
      exp,
      ...(typeof payload.nbf === 'number' ? { nbf: payload.nbf } : {}),
      ...(cnfJkt(payload.cnf) === undefined ? {} : { jkt: cnfJkt(payload.cnf) }),
      revoked: ctx.store.statelessRevoked(jti, clientId, sub),
      stateless: true,
    }
  }
  const rec = ctx.store.access.get(token)
  return rec && rec.format === 'opaque' ? rec : undefined
}

function cnfJkt(cnf: unknown): string | undefined {
  const jkt = cnf !== null && typeof cnf === 'object' ? (cnf as { jkt?: unknown }).jkt : undefined
  return typeof jkt === 'string' ? jkt : undefined
}

export const newId = () => randomUUID()

/** Per-request hint recorded for metrics. */
export function markRequest(req: FastifyRequest, grantType: string | undefined): void {
  ;(req as unknown as { oauthGrant?: string }).oauthGrant = grantType
}
