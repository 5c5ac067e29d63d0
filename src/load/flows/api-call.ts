/**
 * `api-call`: `clients` virtual service clients each hold an access token
 * (client_credentials) and call the resource server with it as a Bearer
 * token (RFC 6750 §2.1). Tokens are renewed the way a good client does:
 * ahead of expiry, single-flight per client, off the measured path (the
 * renewals are still recorded as `oauth_token` traffic of this flow).
 *
 * On a 401 the client re-authenticates once and retries, and records why the
 * RS refused (`error_description` of the Bearer challenge, RFC 6750 §3): this
 * is what explains a 401 storm after a bad key rotation (unknown_kid) or a
 * clock skew (not_yet_valid) in the report.
 */
import type { RsTarget } from '../../runtime/types.ts'
import { TransportError } from '../http.ts'
import { clientFor, mapLimit, rsFor, rsReason, TokenHolder } from './oauth.ts'
import type { FlowContext, FlowDefinition, VuContext } from './types.ts'

export interface ApiCallState {
  rs: RsTarget
  holders: TokenHolder[]
  next: number
}

/** One frozen `{ authorization: Bearer … }` object per token, so the HTTP client can reuse its encoded request head. */
const bearerHeaders = new Map<string, Readonly<Record<string, string>>>()
function bearer(token: string): Readonly<Record<string, string>> {
  let h = bearerHeaders.get(token)
  if (!h) {
    if (bearerHeaders.size >= 256) bearerHeaders.clear()
    h = Object.freeze({ authorization: `Bearer ${token}` })
    bearerHeaders.set(token, h)
  }
  return h
}

/** Call `rs.apiUrl` with `token`; record `rs_request`; return the status (0 on transport error). */
export async function callRs(ctx: FlowContext, rs: RsTarget, token: string, intendedStart: number, signal: AbortSignal, extra: Record<string, string> = {}): Promise<{ status: number; reason?: string }> {
  const start = ctx.now()
  let status = 0
  let reason: string | undefined
  let error: string | undefined
  try {
    const res = await ctx.http.request({ url: rs.apiUrl, headers: bearer(token) as Record<string, string>, frozenHeaders: true, timeoutMs: ctx.timeoutMs, signal })
    status = res.status
    reason = rsReason(res)
    if (status >= 400) {
      const m = /error="([^"]+)"/.exec(String(res.headers['www-authenticate'] ?? ''))
      error = m?.[1]
    }
  } catch (err) {
    reason = err instanceof TransportError ? err.reason : 'transport_error'
  }
  ctx.record('rs_request', { endpoint: 'api', status: String(status), target: rs.name, reason, error, token: 'valid', ...extra }, intendedStart, start, ctx.now(), status === 0 || status >= 400)
  return { status, reason }
}

export const apiCall: FlowDefinition<ApiCallState> = {
  id: 'api-call',
  summary: 'virtual clients holding client_credentials tokens call a resource server, re-authenticating once on 401',
  async setup(ctx) {
    const rs = rsFor(ctx.targets, ctx.config.target)
    const client = clientFor(ctx.targets, ctx.config.client ?? 'svc')
    const n = ctx.config.clients ?? 8
    const holders = Array.from({ length: n }, () => new TokenHolder(ctx, client, ctx.config.scope ?? rs.scope))
    // setup tokens are fetched before t0 and not recorded as load
    await mapLimit(holders, 16, (h) => h.renew(false))
    return { rs, holders, next: 0 }
  },
  async iteration(ctx, vu: VuContext, state) {
    const holder = state.holders[state.next++ % state.holders.length]!
    const token = await holder.get()
    if (!token) {
      const now = ctx.now()
      ctx.record('rs_request', { endpoint: 'api', status: '0', target: state.rs.name, reason: 'no_token' }, vu.intendedStart, now, now, true)
      return
    }
    const first = await callRs(ctx, state.rs, token, vu.intendedStart, vu.signal)
    if (first.status !== 401 || vu.signal.aborted) return
    ctx.count('reauth_on_401', { reason: first.reason ?? 'unknown', target: state.rs.name })
    const fresh = await holder.reauth(token)
    if (!fresh) return
    const retryStart = ctx.now()
    await callRs(ctx, state.rs, fresh, retryStart, vu.signal, { attempt: 'retry' })
  },
}
