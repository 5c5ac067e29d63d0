/**
 * alg-none — the honest token's claims under `alg: none` (and the `None`,
 * `NONE`, `nOnE` spellings that slipped past case-sensitive deny lists),
 * with an empty signature and with the original one left in place. An RS
 * that lets the token pick its algorithm accepts an unsigned token
 * (RFC 8725 §2.1, §3.1; CVE-2015-9235).
 */
import { UnsecuredJWT } from 'jose'
import { claimsFor, joinJwt, splitJwt } from './jwt-parts.ts'
import { defineAttack } from './types.ts'

export const algNone = defineAttack({
  id: 'alg-none',
  summary: 'accepts an unsigned token (alg none, any spelling)',
  refs: ['RFC 8725 §2.1', 'RFC 8725 §3.1'],
  async build(kit) {
    const claims = claimsFor(kit.honest, kit.issuer, kit.rs.audience, kit.rs.scope)
    const sig = splitJwt(kit.honest)?.signature ?? ''
    const kid = splitJwt(kit.honest)?.header.kid
    const base = kid === undefined ? { typ: 'at+jwt' } : { typ: 'at+jwt', kid }
    return {
      applicable: true,
      requests: [
        { variant: 'alg none (jose UnsecuredJWT)', token: new UnsecuredJWT(claims).encode() },
        ...['none', 'None', 'NONE', 'nOnE'].map((alg) => ({
          variant: `alg ${alg}, empty signature`,
          token: joinJwt({ ...base, alg }, claims, ''),
        })),
        { variant: 'alg none, original signature kept', token: joinJwt({ ...base, alg: 'none' }, claims, sig) },
      ],
    }
  },
})
