/**
 * scope-escalation (F5) — a valid token for this RS without the scope its
 * route needs. The correct answer is 403 `insufficient_scope` naming the
 * scope (RFC 6750 §3.1); a 200 means the RS authenticates but never
 * authorizes (RFC 9068 §4 last paragraph). A 401 is recorded as a wrong
 * challenge but is not an acceptance.
 */
import { forRs, NO_MINT } from './minted.ts'
import { defineAttack } from './types.ts'

export const scopeEscalation = defineAttack({
  id: 'scope-escalation',
  summary: 'serves a route to a valid token without its scope',
  refs: ['RFC 6750 §3.1', 'RFC 9068 §4'],
  async build(kit) {
    if (!kit.mint) return { applicable: false, reason: NO_MINT }
    return {
      applicable: true,
      want: 403,
      requests: [
        { variant: 'scope gameday:none', token: await kit.mint({ claims: forRs(kit, { scope: 'gameday:none' }) }) },
        { variant: 'no scope claim', token: await kit.mint({ claims: forRs(kit, { scope: null }) }) },
      ],
    }
  },
})
