/**
 * The authorization code flow with PKCE S256 over plain HTTP (RFC 6749 §4.1,
 * RFC 7636, RFC 9207 for `iss`): the front channel of src/oauth/authorize.ts
 * over the engine's HTTP client, each of its requests recorded as an
 * `oauth_authorize` step, then the code exchanged (`oauth_token`).
 */
import { authorize, pageError } from '../../oauth/authorize.ts'
import { pkcePair } from '../../oauth/pkce.ts'
import type { Transport } from '../../oauth/transport.ts'
import type { ClientCredentials } from '../../runtime/types.ts'
import { TransportError } from '../http.ts'
import type { DpopSession } from '../../oauth/dpop-client.ts'
import { clientIdentity, requestToken, type TokenResponse } from './oauth.ts'
import type { FlowContext } from './types.ts'

export interface LoginOptions {
  client: ClientCredentials
  user: { username: string; password: string }
  scope?: string
  intendedStart: number
  signal: AbortSignal
  /** Record the steps (false during setup). */
  record: boolean
  /** Exchange the code for a DPoP-bound token with this key (RFC 9449 §5). */
  dpop?: DpopSession
}

export interface LoginResult {
  ok: boolean
  reason?: string
  token?: TokenResponse
}

/** Run the whole flow once; records `oauth_authorize` steps and the `oauth_token` exchange; never throws. */
export async function authCodeLogin(ctx: FlowContext, o: LoginOptions): Promise<LoginResult> {
  const redirectUri = o.client.redirectUris[0]
  if (!redirectUri) return { ok: false, reason: 'no_redirect_uri' }
  const { verifier } = pkcePair()
  let intended = o.intendedStart
  // every request of the front channel is one `oauth_authorize` step
  const transport: Transport = async (req) => {
    const start = ctx.now()
    let status = 0
    let reason: string | undefined
    try {
      const res = await ctx.http.request({ ...req, timeoutMs: ctx.timeoutMs })
      status = res.status
      if (res.status >= 400) reason = pageError(res)
      return res
    } catch (err) {
      reason = err instanceof TransportError ? err.reason : 'transport_error'
      throw err
    } finally {
      if (o.record)
        ctx.record(
          'oauth_authorize',
          { endpoint: 'authorize', status: String(status), reason },
          intended,
          start,
          ctx.now(),
          reason !== undefined,
        )
      intended = ctx.now()
    }
  }
  if (ctx.config.par && !ctx.targets.pushedAuthorizationRequestEndpoint)
    ctx.warn(`${ctx.name}: par is set but the AS publishes no pushed_authorization_request_endpoint`)
  let front: Awaited<ReturnType<typeof authorize>>
  try {
    front = await authorize(transport, ctx.targets, {
      clientId: o.client.clientId,
      redirectUri,
      username: o.user.username,
      password: o.user.password,
      scope: o.scope ?? o.client.scopes.join(' '),
      codeVerifier: verifier,
      signal: o.signal,
      ...(ctx.config.par && ctx.targets.pushedAuthorizationRequestEndpoint
        ? { par: { endpoint: ctx.targets.pushedAuthorizationRequestEndpoint, client: clientIdentity(ctx, o.client) } }
        : {}),
    })
  } catch (err) {
    return { ok: false, reason: err instanceof TransportError ? err.reason : 'transport_error' }
  }
  // an error page was recorded as its step; a check of the flow's own is recorded here
  if (front.status >= 400) return { ok: false, reason: front.error ?? 'http_error' }
  if (!front.code) return fail(ctx, o, front.error ?? 'no_code')
  ctx.registerSecret(front.code)
  const token = await requestToken(ctx, {
    grant: 'authorization_code',
    form: { code: front.code, redirect_uri: redirectUri, code_verifier: verifier },
    client: o.client,
    intendedStart: ctx.now(),
    signal: o.signal,
    record: o.record,
    ...(o.dpop ? { dpop: o.dpop } : {}),
  })
  return token.ok ? { ok: true, token } : { ok: false, reason: token.reason ?? 'token_failed', token }
}

/** A flow-level check failed (no HTTP error): record it so the report shows it. */
function fail(ctx: FlowContext, o: LoginOptions, reason: string): LoginResult {
  const now = ctx.now()
  if (o.record) ctx.record('oauth_authorize', { endpoint: 'authorize', status: '0', reason }, now, now, now, true)
  return { ok: false, reason }
}
