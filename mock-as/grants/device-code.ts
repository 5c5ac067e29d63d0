/**
 * Device authorization grant (RFC 8628 §3.4–3.5): the device polls with its
 * device_code until the user approves at /device. authorization_pending while
 * waiting, slow_down (and +5 s on the interval) when polling too fast,
 * access_denied when the user refuses, expired_token after deviceCodeTtl.
 */
import { issueAccessToken, issueRefreshToken, audienceFor, newId, tokenResponse } from '../context.ts'
import { OAuthError, invalidRequest } from '../oauth-error.ts'
import type { GrantHandler } from './types.ts'

export const deviceCode: GrantHandler = (ctx, client, params, _resources, binding) => {
  const code = params.get('device_code')
  if (code === undefined) throw invalidRequest('device_code is required')
  const rec = ctx.store.devices.get(code)
  if (!rec || rec.clientId !== client.clientId || rec.status === 'done')
    throw new OAuthError('invalid_grant', 'the device_code is invalid')
  const now = ctx.clock.now()
  if (rec.exp <= now) throw new OAuthError('expired_token', 'the device_code expired; start a new device authorization')
  if (rec.status === 'denied') {
    rec.status = 'done'
    throw new OAuthError('access_denied', 'the user denied the request')
  }
  if (rec.status === 'pending') {
    const tooFast = rec.lastPoll !== undefined && now - rec.lastPoll < rec.intervalMs
    rec.lastPoll = now
    if (tooFast) {
      rec.intervalMs += 5000
      throw new OAuthError('slow_down', `polling too fast; wait ${rec.intervalMs / 1000}s between requests`)
    }
    throw new OAuthError('authorization_pending', 'the user has not approved the request yet')
  }
  rec.status = 'done'
  const sub = rec.sub!
  const grant = ctx.store.newGrant(newId(), client.clientId, sub)
  const aud = audienceFor(client, rec.resource)
  const access = issueAccessToken(
    ctx,
    client,
    sub,
    rec.scope,
    aud,
    'urn:ietf:params:oauth:grant-type:device_code',
    grant,
    binding.jkt,
  )
  const refresh = client.grantTypes.includes('refresh_token')
    ? issueRefreshToken(ctx, grant, rec.scope, aud, client.public ? binding.jkt : undefined)
    : undefined
  return tokenResponse(access, refresh)
}
