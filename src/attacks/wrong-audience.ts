/**
 * wrong-audience (F5) — a valid token minted for an audience no RS of the
 * stack uses. An RS that skips the `aud` check accepts tokens issued for
 * any other API of the same AS: one leaked token opens them all
 * (RFC 9068 §4, RFC 8725 §3.9, RFC 8707).
 */
import { forRs, NO_MINT } from './minted.ts'
import { defineAttack } from './types.ts'

export const wrongAudience = defineAttack({
  id: 'wrong-audience',
  summary: 'accepts a token minted for another audience',
  refs: ['RFC 9068 §4', 'RFC 8725 §3.9', 'RFC 8707 §2'],
  async build(kit) {
    if (!kit.mint) return { applicable: false, reason: NO_MINT }
    return {
      applicable: true,
      requests: [
        {
          variant: 'aud https://other-api.gameday.invalid',
          token: await kit.mint({ claims: forRs(kit, { aud: 'https://other-api.gameday.invalid' }) }),
        },
      ],
    }
  },
})
