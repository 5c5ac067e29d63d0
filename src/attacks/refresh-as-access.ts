/**
 * refresh-as-access — a real refresh token presented as a bearer access
 * token. An introspecting RS that checks only `active` accepts it (the AS
 * says `active: true, token_type: refresh_token`): a stolen long-lived
 * refresh token becomes an API key (RFC 7662 §2.2, RFC 9700 §4.14, RFC 6749 §1.5).
 */
import { defineAttack } from './types.ts'

export const refreshAsAccess = defineAttack({
  id: 'refresh-as-access',
  summary: 'accepts a refresh token as an access token',
  refs: ['RFC 7662 §2.2', 'RFC 6749 §1.5', 'RFC 9700 §4.14'],
  async build(kit) {
    const refresh = await kit.refreshToken()
    if (!refresh)
      return { applicable: false, reason: 'no client with the refresh_token grant and no user to log in with' }
    return { applicable: true, requests: [{ variant: 'refresh token as bearer', token: refresh }] }
  },
})
