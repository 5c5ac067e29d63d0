/**
 * authorization_code (RFC 6749 §4.1.3) with PKCE S256 (RFC 7636 §4.6).
 * A code is single use: a replay fails with invalid_grant and revokes every
 * token issued from it (RFC 6749 §4.1.2, RFC 9700 §4.5). redirect_uri must
 * repeat the one sent to /authorize; a verifier without a challenge is refused
 * (PKCE downgrade, RFC 9700 §4.8.2).
 */
import { audienceFor, checkResources, issueAccessToken, issueRefreshToken, tokenResponse } from '../context.ts'
import { OAuthError, invalidRequest } from '../oauth-error.ts'
import type { GrantHandler } from './types.ts'
import { s256 } from '../../src/oauth/pkce.ts'

const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/

export const authorizationCode: GrantHandler = (ctx, client, params, resources, binding) => {
  const code = params.get('code')
  if (code === undefined) throw invalidRequest('code is required')
  const rec = ctx.store.codes.get(code)
  if (!rec || rec.clientId !== client.clientId)
    throw new OAuthError('invalid_grant', 'the code is invalid, expired or was issued to another client')
  if (rec.used) {
    const revoked = ctx.store.revokeGrant(rec.grantId)
    ctx.events.emit('code.replayed', { client_id: client.clientId, sub: rec.sub, grantId: rec.grantId, revoked })
    if (revoked > 0)
      ctx.events.emit('grant.revoked', {
        client_id: client.clientId,
        sub: rec.sub,
        grantId: rec.grantId,
        reason: 'code_replayed',
        revoked,
      })
    throw new OAuthError('invalid_grant', 'the code was already used; tokens issued from it are revoked')
  }
  rec.used = true
  if (rec.exp <= ctx.clock.now()) throw new OAuthError('invalid_grant', 'the code expired')
  const redirectUri = params.get('redirect_uri')
  if (rec.redirectUriSent && redirectUri !== rec.redirectUri)
    throw new OAuthError('invalid_grant', 'redirect_uri does not match the authorization request')
  if (!rec.redirectUriSent && redirectUri !== undefined && redirectUri !== rec.redirectUri)
    throw new OAuthError('invalid_grant', 'redirect_uri does not match the authorization request')
  const verifier = params.get('code_verifier')
  if (rec.codeChallenge !== undefined) {
    if (verifier === undefined) throw new OAuthError('invalid_grant', 'code_verifier is required (PKCE)')
    if (!VERIFIER.test(verifier)) throw new OAuthError('invalid_grant', 'code_verifier is malformed')
    if (s256(verifier) !== rec.codeChallenge)
      throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge')
  } else if (verifier !== undefined) {
    throw new OAuthError('invalid_grant', 'code_verifier sent but the authorization request had no code_challenge')
  }
  const requested = resources.length ? checkResources(ctx, resources) : rec.resource
  for (const r of requested)
    if (rec.resource.length && !rec.resource.includes(r))
      throw new OAuthError('invalid_target', 'resource was not part of the authorization request')
  const grant = ctx.store.grants.get(rec.grantId) ?? ctx.store.newGrant(rec.grantId, client.clientId, rec.sub)
  const aud = audienceFor(client, requested)
  const access = issueAccessToken(ctx, client, rec.sub, rec.scope, aud, 'authorization_code', grant, binding.jkt)
  const refresh = client.grantTypes.includes('refresh_token')
    ? issueRefreshToken(ctx, grant, rec.scope, aud, client.public ? binding.jkt : undefined)
    : undefined
  return tokenResponse(access, refresh)
}
