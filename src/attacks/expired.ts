/**
 * expired — a token that expired an hour ago (far beyond any sane clock
 * tolerance). An RS that does not check `exp` accepts stolen tokens
 * forever (RFC 9068 §4, RFC 7519 §4.1.4).
 */
import { epoch } from './jwt-parts.ts'
import { forRs, NO_MINT } from './minted.ts'
import { defineAttack } from './types.ts'

export const expired = defineAttack({
  id: 'expired',
  summary: 'accepts a token that expired an hour ago',
  refs: ['RFC 9068 §4', 'RFC 7519 §4.1.4'],
  async build(kit) {
    if (!kit.mint) return { applicable: false, reason: NO_MINT }
    const now = epoch()
    return {
      applicable: true,
      requests: [
        {
          variant: 'exp an hour ago',
          token: await kit.mint({ claims: forRs(kit, { iat: now - 7200, nbf: now - 7200, exp: now - 3600 }) }),
        },
      ],
    }
  },
})
