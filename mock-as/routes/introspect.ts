/**
 * POST /introspect (RFC 7662): a confidential client must authenticate (a
 * resource server's credentials, 401 invalid_client otherwise). Unknown,
 * expired, revoked or foreign tokens all get exactly `{"active":false}`
 * (§2.2). Works for JWT and opaque access tokens and for refresh tokens.
 * A client that is not registered to introspect (`introspect`, default: a
 * client with no grants, i.e. a resource server) gets `active:false` for
 * other clients' tokens (§4: no token scanning by any client).
 * The chaos rate limit is a token bucket answering 429 + Retry-After.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { type AsContext, authenticateClient, findAccess, mayIntrospectOthers } from '../context.ts'
import { formBody } from '../form.ts'
import { OAuthError, invalidRequest } from '../oauth-error.ts'

const INACTIVE = '{"active":false}'

/** Token bucket: `rate` tokens/s refill, `burst` capacity. */
export class TokenBucket {
  private tokens: number
  private last: number
  constructor(
    readonly rate: number,
    readonly burst: number,
    private readonly clock: () => number,
  ) {
    this.tokens = burst
    this.last = clock()
  }

  /** Take one token; returns 0 when allowed, else seconds until one is available. */
  take(): number {
    const now = this.clock()
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate)
    this.last = now
    if (this.tokens >= 1) {
      this.tokens -= 1
      return 0
    }
    return this.rate > 0 ? Math.max(1, Math.ceil((1 - this.tokens) / this.rate)) : 60
  }
}

export function introspectRoute(app: FastifyInstance, ctx: AsContext, bucket: () => TokenBucket | undefined): void {
  app.post('/introspect', async (req: FastifyRequest, reply: FastifyReply) => {
    reply.header('cache-control', 'no-store')
    const b = bucket()
    if (b) {
      const wait = b.take()
      if (wait > 0)
        throw new OAuthError('rate_limited', 'introspection rate limit exceeded', {
          status: 429,
          headers: { 'retry-after': String(wait) },
        })
    }
    const params = formBody(req)
    const client = authenticateClient(ctx, req, params, { allowPublic: false })
    const token = params.get('token')
    if (token === undefined) throw invalidRequest('token is required')
    reply.header('content-type', 'application/json; charset=utf-8')
    const nowS = ctx.clock.now() / 1000
    const hint = params.get('token_type_hint')
    const tryRefresh = () => {
      const r = ctx.store.refresh.get(token)
      if (!r || r.revoked || r.exp <= nowS || r.successor !== undefined) return undefined
      const g = ctx.store.grants.get(r.grantId)
      if (!g || g.revoked) return undefined
      return {
        active: true,
        token_type: 'refresh_token',
        client_id: r.clientId,
        sub: r.sub,
        scope: r.scope,
        aud: r.aud,
        iss: ctx.issuer,
        iat: r.iat,
        exp: r.exp,
        jti: r.jti,
        ...(r.jkt === undefined ? {} : { cnf: { jkt: r.jkt } }),
      }
    }
    const tryAccess = () => {
      const a = findAccess(ctx, token)
      if (!a || a.revoked || a.exp <= nowS || Math.max(a.iat, a.nbf ?? a.iat) > nowS) return undefined
      if (a.grantId && ctx.store.grants.get(a.grantId)?.revoked) return undefined
      return {
        active: true,
        token_type: a.jkt === undefined ? 'Bearer' : 'DPoP',
        client_id: a.clientId,
        sub: a.sub,
        scope: a.scope,
        aud: a.aud,
        iss: ctx.issuer,
        iat: a.iat,
        nbf: a.iat,
        exp: a.exp,
        jti: a.jti,
        // RFC 9449 §6.2: the key the token is bound to
        ...(a.jkt === undefined ? {} : { cnf: { jkt: a.jkt } }),
      }
    }
    let found: { client_id: string; jti: string } | undefined =
      hint === 'refresh_token' ? (tryRefresh() ?? tryAccess()) : (tryAccess() ?? tryRefresh())
    // RFC 7662 §4: a client not registered to introspect learns nothing about other clients' tokens
    if (found && found.client_id !== client.clientId && !mayIntrospectOthers(ctx, client)) found = undefined
    req.log.debug({ client_id: client.clientId, active: found !== undefined, jti: found?.jti }, 'token.introspected')
    return reply.send(found ? JSON.stringify(found) : INACTIVE)
  })
}
