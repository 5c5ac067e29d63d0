/**
 * `introspection`: token introspection under load (RFC 7662). Either the
 * flow POSTs the introspection endpoint itself with the resource server's
 * client credentials on tokens minted at setup (`introspection` metric), or,
 * with `target:`, it calls an RS running in introspection mode with those
 * tokens (`rs_request`), which models the validator-unavailable incidents.
 */
import { GamedayError } from '../../errors.ts'
import type { ClientCredentials, RsTarget } from '../../runtime/types.ts'
import { TransportError } from '../http.ts'
import { callRs } from './api-call.ts'
import { postForm } from '../../oauth/token-endpoint.ts'
import { clientFor, engineTransport, mapLimit, requestToken, rsFor } from './oauth.ts'
import type { FlowDefinition } from './types.ts'

export interface IntrospectionState {
  tokens: string[]
  rs?: RsTarget
  rsClient?: ClientCredentials
  next: number
}

export const introspection: FlowDefinition<IntrospectionState> = {
  id: 'introspection',
  summary: 'POST the introspection endpoint with RS credentials, or call an RS in introspection mode',
  async setup(ctx) {
    const client = clientFor(ctx.targets, ctx.config.client ?? 'svc')
    const rs = ctx.config.target ? rsFor(ctx.targets, ctx.config.target) : undefined
    let rsClient: ClientCredentials | undefined
    if (!rs) {
      if (!ctx.targets.introspectionEndpoint)
        throw new GamedayError(
          'ERR_SCENARIO_INVALID',
          `load.flows: ${ctx.name} needs an introspection endpoint and the authorization server has none`,
        )
      rsClient = clientFor(ctx.targets, 'rs')
    }
    const n = ctx.config.clients ?? 8
    const scope = ctx.config.scope ?? rs?.scope
    const got = await mapLimit(Array.from({ length: n }), 8, () =>
      requestToken(ctx, {
        grant: 'client_credentials',
        form: scope ? { scope } : {},
        client,
        intendedStart: ctx.now(),
        signal: ctx.signal,
        record: false,
      }),
    )
    const tokens = got.flatMap((r) => (r.accessToken ? [r.accessToken] : []))
    if (tokens.length === 0) ctx.warn(`${ctx.name}: no token could be minted for introspection`)
    return { tokens, rs, rsClient, next: 0 }
  },
  async iteration(ctx, vu, state) {
    const token = state.tokens[state.next++ % Math.max(1, state.tokens.length)]
    if (!token) {
      const now = ctx.now()
      ctx.record(
        state.rs ? 'rs_request' : 'introspection',
        { endpoint: state.rs ? 'api' : 'introspect', status: '0', reason: 'no_token' },
        vu.intendedStart,
        now,
        now,
        true,
      )
      return
    }
    if (state.rs) {
      await callRs(ctx, state.rs, token, vu.intendedStart, vu.signal)
      return
    }
    const rsClient = state.rsClient!
    const start = ctx.now()
    let status = 0
    let reason: string | undefined
    let error: string | undefined
    try {
      const rsAuth = {
        clientId: rsClient.clientId,
        clientSecret: rsClient.clientSecret ?? '',
        authMethod: 'client_secret_basic' as const,
      }
      const res = await postForm(
        engineTransport(ctx),
        ctx.targets.introspectionEndpoint!,
        { token, token_type_hint: 'access_token' },
        rsAuth,
        vu.signal,
      )
      status = res.status
      if (res.json === undefined) reason = 'malformed_response'
      else {
        if (typeof res.json.error === 'string') error = res.json.error
        if (status === 200 && res.json.active !== true) reason = 'inactive'
      }
      if (status >= 400) reason ??= error ?? 'http_error'
    } catch (err) {
      reason = err instanceof TransportError ? err.reason : 'transport_error'
    }
    ctx.record(
      'introspection',
      { endpoint: 'introspect', status: String(status), error, reason },
      vu.intendedStart,
      start,
      ctx.now(),
      reason !== undefined,
    )
  },
}
