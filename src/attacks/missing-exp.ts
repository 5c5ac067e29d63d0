/**
 * missing-exp — a token without `exp`. RFC 9068 §2.2 makes `exp` required
 * in a JWT access token; a verifier that checks `exp` only when present
 * (jose without requiredClaims) accepts a token that never expires.
 */
import { forRs, NO_MINT } from './minted.ts'
import { defineAttack } from './types.ts'

export const missingExp = defineAttack({
  id: 'missing-exp',
  summary: 'accepts a token without exp (it never expires)',
  refs: ['RFC 9068 §2.2', 'RFC 9068 §4'],
  async build(kit) {
    if (!kit.mint) return { applicable: false, reason: NO_MINT }
    return {
      applicable: true,
      requests: [{ variant: 'no exp claim', token: await kit.mint({ claims: forRs(kit, { exp: null }) }) }],
    }
  },
})
