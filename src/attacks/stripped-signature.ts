/**
 * stripped-signature — the honest token with its signature removed
 * (`header.payload.`), the header still naming the real alg. An RS that
 * treats an empty signature as "nothing to check" accepts it
 * (RFC 7515 §5.2, RFC 8725 §3.1).
 */
import { joinJwt, splitJwt } from './jwt-parts.ts'
import { defineAttack } from './types.ts'

export const strippedSignature = defineAttack({
  id: 'stripped-signature',
  summary: 'accepts a token with an empty signature',
  refs: ['RFC 7515 §5.2', 'RFC 8725 §3.1'],
  async build(kit) {
    const parts = splitJwt(kit.honest)
    if (!parts) return { applicable: false, reason: 'the honest token is opaque: there is no signature to strip' }
    return {
      applicable: true,
      requests: [
        { variant: 'empty signature', token: joinJwt(parts.header, parts.payload, '') },
        { variant: 'signature part missing', token: joinJwt(parts.header, parts.payload, '').slice(0, -1) },
      ],
    }
  },
})
