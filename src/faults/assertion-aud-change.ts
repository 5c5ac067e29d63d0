/**
 * assertion-aud-change — the AS stops accepting a private_key_jwt client
 * assertion (RFC 7523 §3) whose `aud` is the token endpoint URL and accepts
 * only its issuer identifier, as FAPI 2.0 (§5.3.2.1) and RFC 9126 §2 ask.
 * Several vendors made this move from "token endpoint URL or issuer" to
 * "issuer only" and broke the clients that had hard-coded the token endpoint
 * URL: their every token request is refused with `invalid_client` until they
 * change. A client that sends the issuer holds.
 *
 * Revert widens `aud` again to the issuer or the token endpoint URL.
 */
import { Type } from '@sinclair/typebox'
import { injectFailed, once, requireAs } from './support.ts'
import { defineFault } from './types.ts'

export const assertionAudChange = defineFault({
  id: 'assertion-aud-change',
  summary: "The AS narrows a client assertion's accepted aud to its issuer alone (no longer the token endpoint URL).",
  params: Type.Object({}, { additionalProperties: false }),
  defaultDuration: '30s',
  needs: () => ['as-control'],
  async inject(ctx) {
    try {
      const as = requireAs(ctx.targets, 'assertion-aud-change')
      await as.setAssertionAudience('issuer')
      return {
        details: { audience: 'issuer' },
        revert: once(() => as.setAssertionAudience('issuer-or-token-endpoint')),
      }
    } catch (err) {
      throw injectFailed('assertion-aud-change', err)
    }
  },
})
