/**
 * token-in-query — the honest token sent as `?access_token=`. URLs end up
 * in access logs, browser history and Referer headers; RFC 9700 §4.3.2
 * tells clients not to, FAPI 2.0 tells RSs not to accept it, RFC 6750 §2.3
 * allows it only with `Cache-Control: private`. Accepting it is a finding.
 */
import { defineAttack } from './types.ts'

export const tokenInQuery = defineAttack({
  id: 'token-in-query',
  summary: 'accepts a bearer token in the query string',
  refs: ['RFC 9700 §4.3.2', 'RFC 6750 §2.3', 'FAPI 2.0 §5.3.4'],
  async build(kit) {
    return { applicable: true, requests: [{ variant: '?access_token=', token: kit.honest, via: 'query' }] }
  },
})
