/**
 * wrong-issuer — a token signed with the AS's key but naming another
 * issuer (a second tenant, a staging AS sharing keys). An RS that does not
 * compare `iss` with the issuer it trusts accepts it (RFC 9068 §4,
 * RFC 8725 §3.8).
 */
import { forRs, NO_MINT } from './minted.ts'
import { defineAttack } from './types.ts'

export const wrongIssuer = defineAttack({
  id: 'wrong-issuer',
  summary: 'accepts a token whose iss is not the trusted issuer',
  refs: ['RFC 9068 §4', 'RFC 8725 §3.8'],
  async build(kit) {
    if (!kit.mint) return { applicable: false, reason: NO_MINT }
    return {
      applicable: true,
      requests: [
        {
          variant: 'iss https://attacker.gameday.invalid',
          token: await kit.mint({ claims: forRs(kit, { iss: 'https://attacker.gameday.invalid' }) }),
        },
      ],
    }
  },
})
