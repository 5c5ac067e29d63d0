/**
 * refresh_token (RFC 6749 §6) with rotation on every use (RFC 9700 §4.14.2).
 * Presenting a rotated token again outside the grace window fails with
 * invalid_grant and revokes the whole family; inside `refreshReuseGrace` the
 * immediately previous token still works (a client that lost a response).
 * With reuse detection off (chaos), the replay still fails but the family
 * lives on: the AS that lets a thief keep a stolen lineage.
 * A public client's refresh token bound to a DPoP key (RFC 9449 §5) is
 * refused without a proof of that key: a stolen bound token is useless.
 */
import { audienceFor, issueAccessToken, issueRefreshToken, resolveScope, tokenResponse } from '../context.ts'
import { OAuthError, invalidRequest } from '../oauth-error.ts'
import type { GrantHandler } from './types.ts'

export const refreshToken: GrantHandler = (ctx, client, params, resources, binding) => {
  const token = params.get('refresh_token')
  if (token === undefined) throw invalidRequest('refresh_token is required')
  const rec = ctx.store.refresh.get(token)
  if (!rec || rec.clientId !== client.clientId)
    throw new OAuthError('invalid_grant', 'the refresh token is invalid or was issued to another client')
  const now = ctx.clock.now()
  if (rec.revoked) throw new OAuthError('invalid_grant', 'the refresh token was revoked')
  if (rec.exp * 1000 <= now) throw new OAuthError('invalid_grant', 'the refresh token expired')
  if (rec.jkt !== undefined && rec.jkt !== binding.jkt)
    throw new OAuthError(
      'invalid_grant',
      binding.jkt === undefined
        ? 'the refresh token is bound to a DPoP key; send a DPoP proof of it'
        : 'the refresh token is bound to another DPoP key',
    )
  const grant = ctx.store.grants.get(rec.grantId)
  if (!grant || grant.revoked) throw new OAuthError('invalid_grant', 'the grant was revoked')
  if (rec.successor !== undefined) {
    const successor = ctx.store.refresh.get(rec.successor)
    const inGrace =
      rec.rotatedAt !== undefined &&
      now - rec.rotatedAt < ctx.ttl.reuseGrace &&
      successor !== undefined &&
      successor.successor === undefined
    if (!inGrace) {
      if (ctx.chaos.refreshReuseDetection) {
        const revoked = ctx.store.revokeGrant(grant.id)
        ctx.metrics.reuseDetected.inc()
        ctx.events.emit('refresh_token.reused', {
          client_id: client.clientId,
          sub: rec.sub,
          jti: rec.jti,
          grantId: grant.id,
        })
        ctx.events.emit('grant.revoked', {
          client_id: client.clientId,
          sub: rec.sub,
          grantId: grant.id,
          reason: 'refresh_token_reused',
          revoked,
        })
        throw new OAuthError('invalid_grant', 'the refresh token was already used; the token family is revoked')
      }
      throw new OAuthError('invalid_grant', 'the refresh token was already used')
    }
    if (successor) successor.revoked = true
  }
  const scope = resolveScope(client, params.get('scope'), rec.scope)
  for (const r of resources) {
    const auds = Array.isArray(rec.aud) ? rec.aud : [rec.aud]
    if (!auds.includes(r)) throw new OAuthError('invalid_target', 'resource was not part of the original grant')
  }
  const aud = resources.length ? audienceFor(client, resources) : rec.aud
  const next = issueRefreshToken(ctx, grant, rec.scope, rec.aud, client.public ? (rec.jkt ?? binding.jkt) : undefined)
  rec.successor = next
  rec.rotatedAt = now
  const access = issueAccessToken(ctx, client, rec.sub, scope, aud, 'refresh_token', grant, binding.jkt)
  return tokenResponse(access, next)
}
