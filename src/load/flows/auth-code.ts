/**
 * `auth-code`: a user logs in through the authorization code flow with PKCE
 * S256 (RFC 6749 §4.1, RFC 7636) over HTTP, through the AS's own login and
 * consent form, then the client exchanges the code. Measures the interactive
 * login path (`oauth_authorize` per step, `oauth_token` for the exchange) that
 * a signing-key or session-store incident breaks first for humans. With
 * `dpop: true` the exchange carries a proof of the VU's own key.
 */
import { GamedayError } from '../../errors.ts'
import { authCodeLogin } from './login.ts'
import type { DpopSession } from '../../oauth/dpop-client.ts'
import { clientFor, dpopPerVu } from './oauth.ts'
import type { FlowContext, FlowDefinition } from './types.ts'

/** The user the flows log in as: the first one the AS knows. */
export function userFor(ctx: FlowContext): { username: string; password: string } {
  const u = ctx.targets.users[0]
  if (!u)
    throw new GamedayError(
      'ERR_SCENARIO_INVALID',
      `load.flows: ${ctx.name} needs a user and the authorization server has none`,
    )
  return u
}

export const authCode: FlowDefinition<{ dpop: (vu: number) => DpopSession | undefined }> = {
  id: 'auth-code',
  summary: 'full PKCE authorization code flow through the login and consent form, then the code exchange',
  async setup(ctx) {
    const c = clientFor(ctx.targets, ctx.config.client ?? 'spa')
    if (!c.redirectUris[0])
      throw new GamedayError(
        'ERR_SCENARIO_INVALID',
        `load.flows: client ${JSON.stringify(c.clientId)} has no redirect URI for ${ctx.name}`,
      )
    userFor(ctx)
    return { dpop: dpopPerVu(ctx) }
  },
  async iteration(ctx, vu, state) {
    const dpop = state.dpop(vu.id)
    const client = clientFor(ctx.targets, ctx.config.client ?? 'spa')
    await authCodeLogin(ctx, {
      client,
      user: userFor(ctx),
      scope: ctx.config.scope,
      intendedStart: vu.intendedStart,
      signal: vu.signal,
      record: true,
      ...(dpop ? { dpop } : {}),
    })
  },
}
