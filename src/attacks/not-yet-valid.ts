/**
 * not-yet-valid — a token whose `nbf` is an hour ahead. An RS that ignores
 * `nbf` accepts tokens pre-issued for later use (RFC 7519 §4.1.5).
 */
import { epoch } from './jwt-parts.ts'
import { forRs, NO_MINT } from './minted.ts'
import { defineAttack } from './types.ts'

export const notYetValid = defineAttack({
  id: 'not-yet-valid',
  summary: 'accepts a token whose nbf is an hour ahead',
  refs: ['RFC 7519 §4.1.5', 'RFC 9068 §4'],
  async build(kit) {
    if (!kit.mint) return { applicable: false, reason: NO_MINT }
    const now = epoch()
    return {
      applicable: true,
      requests: [
        {
          variant: 'nbf an hour ahead',
          token: await kit.mint({ claims: forRs(kit, { iat: now, nbf: now + 3600, exp: now + 7200 }) }),
        },
      ],
    }
  },
})
