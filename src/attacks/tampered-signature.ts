/**
 * tampered-signature — the honest token with its signature altered, and
 * with its payload altered (another subject, a wider scope) under the
 * original signature. An RS that decodes without verifying, or verifies
 * and ignores the result, accepts both (RFC 7515 §5.2, RFC 8725 §3.1).
 */
import { joinJwt, splitJwt } from './jwt-parts.ts'
import { defineAttack } from './types.ts'

function flip(sig: string): string {
  const i = Math.floor(sig.length / 2)
  const c = sig[i] === 'A' ? 'B' : 'A'
  return `${sig.slice(0, i)}${c}${sig.slice(i + 1)}`
}

export const tamperedSignature = defineAttack({
  id: 'tampered-signature',
  summary: 'accepts a token whose signature or payload was altered',
  refs: ['RFC 7515 §5.2', 'RFC 8725 §3.1'],
  async build(kit) {
    const parts = splitJwt(kit.honest)
    if (!parts) return { applicable: false, reason: 'the honest token is opaque: there is no signature to tamper with' }
    const wider = { ...parts.payload, sub: 'admin', scope: `${String(parts.payload.scope ?? kit.rs.scope)} admin` }
    return {
      applicable: true,
      requests: [
        { variant: 'signature altered', token: joinJwt(parts.header, parts.payload, flip(parts.signature)) },
        {
          variant: 'payload altered (sub admin, scope widened), signature kept',
          token: joinJwt(parts.header, wider, parts.signature),
        },
      ],
    }
  },
})
