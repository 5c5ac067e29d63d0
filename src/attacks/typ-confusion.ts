/**
 * typ-confusion — AS-signed tokens that are not access tokens by RFC 9068
 * §4: `typ: JWT`, no `typ`, and an ID-token-shaped token (typ JWT, nonce,
 * auth_time, azp). An RS that does not require `at+jwt` accepts an ID
 * token or any other JWT the AS signs as an access token (RFC 8725 §3.11).
 */
import { epoch } from './jwt-parts.ts'
import { forRs, NO_MINT } from './minted.ts'
import { defineAttack } from './types.ts'

export const typConfusion = defineAttack({
  id: 'typ-confusion',
  summary: 'accepts a JWT whose typ is not at+jwt (typ JWT, none, an ID token)',
  refs: ['RFC 9068 §4', 'RFC 8725 §3.11'],
  async build(kit) {
    if (!kit.mint) return { applicable: false, reason: NO_MINT }
    const idToken = forRs(kit, {
      nonce: 'gameday',
      auth_time: epoch(),
      azp: 'gameday-probe',
      at_hash: 'AAAAAAAAAAAAAAAAAAAAAA',
    })
    return {
      applicable: true,
      requests: [
        { variant: 'typ JWT', token: await kit.mint({ claims: forRs(kit, {}), typ: 'JWT' }) },
        { variant: 'no typ', token: await kit.mint({ claims: forRs(kit, {}), typ: null }) },
        {
          variant: 'ID-token-shaped (typ JWT, nonce, auth_time, azp)',
          token: await kit.mint({ claims: idToken, typ: 'JWT' }),
        },
      ],
    }
  },
})
