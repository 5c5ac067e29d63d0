/**
 * oversize-token — the honest token with a 100 kB claim added (signature
 * kept, so it is invalid too). The RS must refuse it without a 5xx, a crash
 * or a stall (431 or 401 are both fine); parsing unbounded input is a
 * denial-of-service surface (RFC 8725 §3.x, CWE-400).
 */
import { claimsFor, joinJwt, splitJwt } from './jwt-parts.ts'
import { defineAttack } from './types.ts'

const SIZE = 100 * 1024

export const oversizeToken = defineAttack({
  id: 'oversize-token',
  summary: 'accepts, or fails with 5xx on, a 100 kB token',
  refs: ['RFC 8725 §2', 'CWE-400'],
  async build(kit) {
    const parts = splitJwt(kit.honest)
    const header = parts?.header ?? { alg: 'ES256', typ: 'at+jwt' }
    const payload = { ...claimsFor(kit.honest, kit.issuer, kit.rs.audience, kit.rs.scope), pad: 'A'.repeat(SIZE) }
    return {
      applicable: true,
      requests: [{ variant: '100 kB payload', token: joinJwt(header, payload, parts?.signature ?? '') }],
    }
  },
})
