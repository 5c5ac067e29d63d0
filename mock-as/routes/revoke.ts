/**
 * POST /revoke (RFC 7009): client-authenticated (public clients by
 * client_id). 200 for unknown tokens (§2.2); a client cannot revoke another
 * client's token (§2.1, refused with invalid_request and nothing changed);
 * revoking a refresh token revokes its whole grant, access tokens included,
 * which introspection then reports inactive.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { type AsContext, authenticateClient, findAccess } from '../context.ts'
import { formBody } from '../form.ts'
import { invalidRequest } from '../oauth-error.ts'

export function revokeRoute(app: FastifyInstance, ctx: AsContext): void {
  app.post('/revoke', async (req: FastifyRequest, reply: FastifyReply) => {
    reply.header('cache-control', 'no-store')
    const params = formBody(req)
    const client = authenticateClient(ctx, req, params, { allowPublic: true })
    const token = params.get('token')
    if (token === undefined) throw invalidRequest('token is required')
    const hint = params.get('token_type_hint')
    const refresh = () => {
      const r = ctx.store.refresh.get(token)
      if (!r) return false
      if (r.clientId !== client.clientId) throw invalidRequest('the token was not issued to this client')
      const n = ctx.store.revokeGrant(r.grantId)
      ctx.events.emit('token.revoked', { client_id: r.clientId, sub: r.sub, jti: r.jti, token_type: 'refresh_token' })
      ctx.events.emit('grant.revoked', {
        client_id: r.clientId,
        sub: r.sub,
        grantId: r.grantId,
        reason: 'revocation_endpoint',
        revoked: n,
      })
      return true
    }
    const access = () => {
      const a = findAccess(ctx, token)
      if (!a) return false
      if (a.clientId !== client.clientId) throw invalidRequest('the token was not issued to this client')
      if (!a.revoked) {
        a.revoked = true
        if (a.stateless) ctx.store.revokedJtis.set(a.jti, a.exp)
        ctx.events.emit('token.revoked', { client_id: a.clientId, sub: a.sub, jti: a.jti, token_type: 'access_token' })
      }
      return true
    }
    if (hint === 'access_token') {
      if (!access()) refresh()
    } else if (!refresh()) access()
    return reply.code(200).send()
  })
}
