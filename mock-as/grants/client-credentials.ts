/**
 * client_credentials (RFC 6749 §4.4): a confidential client gets an access
 * token for itself; `sub` is the client_id (RFC 9068 §2.2), no refresh token
 * (§4.4.3). This is the load hot path: no store lookups beyond the client.
 */
import { OAuthError } from '../oauth-error.ts'
import { audienceFor, checkResources, issueAccessToken, resolveScope, tokenResponse } from '../context.ts'
import type { GrantHandler } from './types.ts'

export const clientCredentials: GrantHandler = (ctx, client, params, resources, binding) => {
  if (client.public) throw new OAuthError('unauthorized_client', 'public clients cannot use client_credentials')
  const scope = resolveScope(client, params.get('scope'))
  const aud = audienceFor(client, resources.length ? checkResources(ctx, resources) : resources)
  return tokenResponse(
    issueAccessToken(ctx, client, client.clientId, scope, aud, 'client_credentials', undefined, binding.jkt),
  )
}
