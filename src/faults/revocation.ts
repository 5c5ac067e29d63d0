/**
 * revocation — tokens are revoked mid-run while the load keeps using them:
 * every token of a subject or a client (an admin "log out everywhere" or a
 * compromised-client response, through the mock-as control API), or the
 * tokens the fault holds itself through RFC 7009 `/revoke` (works against any
 * AS). What it exposes is RFC 7009 §2.2 / RFC 6819 §5.1.5.9 in practice: a
 * JWT RS keeps accepting a revoked token until `exp`, an introspecting RS with
 * a long cache keeps accepting it until its cache expires.
 *
 * A revocation cannot be undone; revert is a no-op.
 */
import { Type } from '@sinclair/typebox'
import { GamedayError } from '../errors.ts'
import { clientCredentials, revokeToken } from '../oauth/client.ts'
import { endpointsOf, injectFailed, pickClient, requireAs } from './support.ts'
import { defineFault } from './types.ts'

export const revocation = defineFault({
  id: 'revocation',
  summary:
    "Revoke a subject's or a client's tokens mid-run (mock-as control), or tokens the fault holds (RFC 7009 /revoke).",
  params: Type.Object(
    {
      by: Type.Union([Type.Literal('client'), Type.Literal('subject'), Type.Literal('held-tokens')], {
        default: 'client',
        description:
          'what is revoked: every token of a client, of a subject (both via mock-as control), or tokens the fault minted itself (via /revoke)',
      }),
      clientId: Type.String({
        default: 'svc',
        description: 'by client: whose tokens; by held-tokens: the client that mints and revokes',
      }),
      sub: Type.String({ default: 'alice', description: 'by subject: the subject (user) whose tokens are revoked' }),
      tokens: Type.Integer({
        minimum: 1,
        maximum: 100,
        default: 5,
        description: 'by held-tokens: how many tokens to mint and revoke',
      }),
    },
    { additionalProperties: false },
  ),
  defaultDuration: '1s',
  needs: (p) => (p.by === 'held-tokens' ? [] : ['as-control']),
  async inject(ctx, params, signal) {
    try {
      if (params.by === 'held-tokens') {
        const ep = endpointsOf(ctx.targets, 'revocation')
        const client = pickClient(ctx.targets, 'revocation', 'client_credentials', params.clientId)
        let revoked = 0
        for (let i = 0; i < params.tokens && !signal.aborted; i++) {
          const t = await clientCredentials(ep, client, { signal })
          if (!t.access_token)
            throw new GamedayError(
              'ERR_FAULT_INJECT_FAILED',
              `revocation: token request failed (${t.error ?? t.status})`,
            )
          if ((await revokeToken(ep, client, t.access_token, 'access_token', signal)) === 200) revoked++
        }
        return { details: { by: 'held-tokens', clientId: params.clientId, revoked }, revert: async () => {} }
      }
      const as = requireAs(ctx.targets, 'revocation')
      const which = params.by === 'client' ? { clientId: params.clientId } : { sub: params.sub }
      const { revoked } = await as.revoke(which)
      ctx.log.info({ fault: 'revocation', ...which, revoked }, 'grant.revoked')
      return { details: { by: params.by, ...which, revoked }, revert: async () => {} }
    } catch (err) {
      throw injectFailed('revocation', err)
    }
  },
})
