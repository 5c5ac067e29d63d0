/**
 * `client-credentials`: a confidential client asks the token endpoint for an
 * access token (RFC 6749 §4.4), authenticating with client_secret_basic
 * (§2.3.1). Every iteration is one measured `oauth_token` request: the flow
 * that finds the AS's capacity knee and its signing-key rotation behaviour.
 * With `dpop: true` each VU holds its own key and every request carries a
 * proof (RFC 9449 §5), retried once on a nonce challenge (§8).
 */
import type { DpopSession } from '../../oauth/dpop-client.ts'
import { clientFor, dpopPerVu, requestToken } from './oauth.ts'
import type { FlowDefinition } from './types.ts'

export const clientCredentials: FlowDefinition<{ scope?: string; dpop: (vu: number) => DpopSession | undefined }> = {
  id: 'client-credentials',
  summary: 'POST the token endpoint with client_credentials (client_secret_basic)',
  async setup(ctx) {
    clientFor(ctx.targets, ctx.config.client ?? 'svc')
    return { scope: ctx.config.scope, dpop: dpopPerVu(ctx) }
  },
  async iteration(ctx, vu, state) {
    const client = clientFor(ctx.targets, ctx.config.client ?? 'svc')
    const form: Record<string, string> = {}
    if (state.scope) form.scope = state.scope
    const dpop = state.dpop(vu.id)
    await requestToken(ctx, {
      ...(dpop ? { dpop } : {}),
      grant: 'client_credentials',
      form,
      client,
      intendedStart: vu.intendedStart,
      signal: vu.signal,
    })
  },
}
