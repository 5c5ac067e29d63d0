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
 *
 * With `dpop: true` each virtual client holds its own DPoP key: its tokens
 * are requested with a proof and every call carries `Authorization: DPoP`
 * and a proof with `ath` (RFC 9449 §7).
 */
import type { RsTarget } from '../../runtime/types.ts'
import { TransportError } from '../http.ts'
import { type DpopSession, dpopErrorOf, nonceChallenge } from '../../oauth/dpop-client.ts'
import { clientFor, mapLimit, newDpopSession, rsFailure, rsFor, TokenHolder } from './oauth.ts'
import type { FlowContext, FlowDefinition, RecordTags, VuContext } from './types.ts'

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

/**
 * Tags of the plain outcome (a status below 400, no extra tags): one frozen
 * object per RS and status, so the engine finds the series by the object
 * instead of building a key from the tags per request.
 */
const plainTags = new WeakMap<RsTarget, Map<number, Readonly<RecordTags>>>()
function plainTagsOf(rs: RsTarget, status: number): Readonly<RecordTags> {
  let byStatus = plainTags.get(rs)
  if (!byStatus) {
    byStatus = new Map()
    plainTags.set(rs, byStatus)
  }
  let tags = byStatus.get(status)
  if (!tags) {
    tags = Object.freeze({ endpoint: 'api', status: String(status), target: rs.name, token: 'valid' })
    byStatus.set(status, tags)
  }
  return tags
}

/**
 * Call `rs.apiUrl` with `token`, record `rs_request`, then hand `cb` the
 * status (0 on transport error) and the failure reason. With `dpop` the token
 * goes as `Authorization: DPoP` with a proof bound to it (`ath`, RFC 9449
 * §7.1), and a `use_dpop_nonce` challenge (§9) is answered by one retry with
 * the RS's nonce: one recorded request, timed from the intended start.
 */
export function sendRs(
  ctx: FlowContext,
  rs: RsTarget,
  token: string,
  intendedStart: number,
  signal: AbortSignal,
  extra: Record<string, string> | undefined,
  cb: (status: number, reason: string | undefined) => void,
  dpop?: DpopSession,
): void {
  const start = ctx.now()
  const attempt = (retried: boolean): void =>
    ctx.http.send(
      {
        url: rs.apiUrl,
        headers: dpop
          ? { authorization: `DPoP ${token}`, dpop: dpop.proof('GET', rs.apiUrl, token) }
          : (bearer(token) as Record<string, string>),
        frozenHeaders: dpop === undefined,
        timeoutMs: ctx.timeoutMs,
        signal,
      },
      (err, res) => {
        if (dpop && res) {
          dpop.observe(rs.apiUrl, res.headers)
          if (!retried && res.status === 401 && nonceChallenge(res.status, res.headers, res.body) !== undefined) {
            ctx.count('dpop_nonce_retries', { endpoint: 'api', target: rs.name })
            return attempt(true)
          }
        }
        let status = 0
        let reason: string | undefined
        let error: string | undefined
        if (res) {
          status = res.status
          if (status >= 400) ({ reason, error } = rsFailure(res))
        } else reason = err instanceof TransportError ? err.reason : 'transport_error'
        if (dpop && res && dpopErrorOf(res.status, res.headers, res.body) === 'invalid_dpop_proof')
          ctx.count('dpop_proof_rejections', { endpoint: 'api', target: rs.name })
        const failed = status === 0 || status >= 400
        const tags =
          !failed && reason === undefined && extra === undefined
            ? plainTagsOf(rs, status)
            : { endpoint: 'api', status: String(status), target: rs.name, reason, error, token: 'valid', ...extra }
        ctx.record('rs_request', tags, intendedStart, start, ctx.now(), failed)
        cb(status, reason)
      },
    )
  attempt(false)
}

/** {@link sendRs} as a promise. */
export function callRs(
  ctx: FlowContext,
  rs: RsTarget,
  token: string,
  intendedStart: number,
  signal: AbortSignal,
  extra?: Record<string, string>,
  dpop?: DpopSession,
): Promise<{ status: number; reason?: string }> {
  return new Promise((resolve) =>
    sendRs(ctx, rs, token, intendedStart, signal, extra, (status, reason) => resolve({ status, reason }), dpop),
  )
}

/** The call with `token` (a 401 leads to one re-authentication and a retry), then `done`. */
function callWith(
  ctx: FlowContext,
  vu: VuContext,
  state: ApiCallState,
  holder: TokenHolder,
  token: string,
  done: () => void,
): void {
  sendRs(
    ctx,
    state.rs,
    token,
    vu.intendedStart,
    vu.signal,
    undefined,
    (status, reason) => {
      if (status !== 401 || vu.signal.aborted) return done()
      ctx.count('reauth_on_401', { reason: reason ?? 'unknown', target: state.rs.name })
      holder.reauth(token).then((fresh) => {
        if (!fresh) return done()
        sendRs(ctx, state.rs, fresh, ctx.now(), vu.signal, { attempt: 'retry' }, done, holder.dpop)
      }, done)
    },
    holder.dpop,
  )
}

export const apiCall: FlowDefinition<ApiCallState> = {
  id: 'api-call',
  summary: 'virtual clients holding client_credentials tokens call a resource server, re-authenticating once on 401',
  async setup(ctx) {
    const rs = rsFor(ctx.targets, ctx.config.target)
    const client = clientFor(ctx.targets, ctx.config.client ?? 'svc')
    const n = ctx.config.clients ?? 8
    // with dpop: true every virtual client has its own key, generated here with node:crypto
    const holders = Array.from(
      { length: n },
      () => new TokenHolder(ctx, client, ctx.config.scope ?? rs.scope, {}, newDpopSession(ctx)),
    )
    // setup tokens are fetched before t0 and not recorded as load
    await mapLimit(holders, 16, (h) => h.renew(false))
    return { rs, holders, next: 0 }
  },
  iteration(ctx, vu, state) {
    return new Promise((resolve) => apiCall.start!(ctx, vu, state, resolve))
  },
  // the common case (a valid token in hand) runs without a promise: one request, one callback
  start(ctx, vu, state, done) {
    const holder = state.holders[state.next++ % state.holders.length]!
    const token = holder.current()
    if (token) return callWith(ctx, vu, state, holder, token, done)
    holder.get().then((t) => {
      if (t) return callWith(ctx, vu, state, holder, t, done)
      const now = ctx.now()
      ctx.record(
        'rs_request',
        { endpoint: 'api', status: '0', target: state.rs.name, reason: 'no_token' },
        vu.intendedStart,
        now,
        now,
        true,
      )
      done()
    }, done)
  },
}
