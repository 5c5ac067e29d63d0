/**
 * `refresh`: refresh-token rotation under load (RFC 6749 §6, RFC 9700
 * §4.14.2). Each virtual client logs in once at setup (authorization code +
 * PKCE), then every iteration redeems its current refresh token and keeps the
 * rotated one. A token is only ever used by one request at a time, so the
 * harness never trips reuse detection by itself: a `refresh_token.reused` in
 * the record is the system's doing, not the load's. With `dpop: true` each
 * virtual client holds its own key for its whole refresh-token family.
 */
import type { ClientCredentials } from '../../runtime/types.ts'
import { userFor } from './auth-code.ts'
import { authCodeLogin } from './login.ts'
import type { DpopSession } from '../../oauth/dpop-client.ts'
import { clientFor, mapLimit, newDpopSession, requestToken } from './oauth.ts'
import type { FlowContext, FlowDefinition } from './types.ts'

interface VirtualClient {
  refreshToken?: string
  busy: boolean
  relogin?: Promise<void>
  /** Its DPoP key (`dpop: true`): the login and every refresh prove it, as the AS binds the refresh token to it. */
  dpop?: DpopSession
}

export interface RefreshState {
  client: ClientCredentials
  clients: VirtualClient[]
  next: number
}

async function login(ctx: FlowContext, state: RefreshState, vc: VirtualClient, record: boolean): Promise<void> {
  const res = await authCodeLogin(ctx, {
    client: state.client,
    user: userFor(ctx),
    scope: ctx.config.scope,
    intendedStart: ctx.now(),
    signal: ctx.signal,
    record,
    ...(vc.dpop ? { dpop: vc.dpop } : {}),
  })
  vc.refreshToken = res.token?.refreshToken
  if (!vc.refreshToken)
    ctx.warn(`${ctx.name}: login for a virtual client gave no refresh token (${res.reason ?? 'no refresh_token'})`)
}

export const refresh: FlowDefinition<RefreshState> = {
  id: 'refresh',
  summary: 'virtual clients rotate their refresh tokens, one request per token at a time',
  async setup(ctx) {
    const state: RefreshState = { client: clientFor(ctx.targets, ctx.config.client ?? 'spa'), clients: [], next: 0 }
    state.clients = Array.from({ length: ctx.config.clients ?? 8 }, () => {
      const dpop = newDpopSession(ctx)
      return dpop ? { busy: false, dpop } : { busy: false }
    })
    await mapLimit(state.clients, 8, (vc) => login(ctx, state, vc, false))
    return state
  },
  async iteration(ctx, vu, state) {
    // the next idle client with a token: never two requests on one refresh token
    let vc: VirtualClient | undefined
    for (let i = 0; i < state.clients.length && !vc; i++) {
      const c = state.clients[state.next++ % state.clients.length]!
      if (!c.busy && c.refreshToken) vc = c
    }
    if (!vc) {
      ctx.count('refresh_skipped', { reason: 'no_idle_client' })
      return
    }
    vc.busy = true
    try {
      const res = await requestToken(ctx, {
        grant: 'refresh_token',
        form: { refresh_token: vc.refreshToken! },
        client: state.client,
        intendedStart: vu.intendedStart,
        signal: vu.signal,
        ...(vc.dpop ? { dpop: vc.dpop } : {}),
      })
      if (res.ok) {
        if (res.refreshToken) vc.refreshToken = res.refreshToken
        return
      }
      if (res.error === 'invalid_grant') {
        // the family was revoked (reuse detection, logout): log in again, off the measured path
        ctx.count('relogin', { reason: 'invalid_grant' })
        vc.refreshToken = undefined
        const v = vc
        v.relogin ??= login(ctx, state, v, false).finally(() => {
          v.relogin = undefined
        })
      }
    } finally {
      vc.busy = false
    }
  },
}
