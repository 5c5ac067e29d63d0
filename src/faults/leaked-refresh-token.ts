/**
 * leaked-refresh-token — an attacker holds a copy of a live refresh token
 * (stolen from browser storage, a log line or a proxy) and replays it. RFC
 * 9700 §4.14.2 and OAuth 2.1 §4.3.1 require refresh-token rotation with reuse
 * detection for public clients: when a rotated token is presented again, the
 * AS must refuse it and revoke the whole family, so both the attacker and the
 * legitimate client lose access.
 *
 * The fault obtains its own victim — an authorization-code + PKCE login of a
 * user with the public `spa` client (or any client given) — so it needs
 * nothing but the AS endpoints and works against an external AS. `timing`:
 * `after` the legitimate client rotated the token, `before` it did, or
 * `concurrent` (both within 50 ms). While active it keeps acting as the
 * attacker (refresh and API calls) and records every success as an
 * `attacker.succeeded` event; `details` is updated in place. Before the
 * replay it also presents the stolen refresh token as a bearer token at
 * every RS (`details.refreshAcceptedAsAccessBy`, an `attacker.succeeded`
 * event of kind `refresh-as-access` per RS that accepts it).
 */
import { Type } from '@sinclair/typebox'
import { GamedayError } from '../errors.ts'
import { callResource, refreshToken, type TokenResponse, authCodeLogin } from '../oauth/client.ts'
import { endpointsOf, injectFailed, once, pickClient, pickUser, sleep } from './support.ts'
import { defineFault } from './types.ts'

const brief = (r: TokenResponse) => ({ status: r.status, ok: r.ok, ...(r.error ? { error: r.error } : {}) })

export const leakedRefreshToken = defineFault({
  id: 'leaked-refresh-token',
  summary: 'An attacker replays a copy of a refresh token after, before, or concurrently with the legitimate rotation.',
  params: Type.Object(
    {
      timing: Type.Union([Type.Literal('after'), Type.Literal('before'), Type.Literal('concurrent')], {
        default: 'after',
        description: 'when the attacker replays the copy relative to the legitimate refresh (concurrent: within 50 ms)',
      }),
      client: Type.String({
        default: 'spa',
        description: 'client the victim logs in with (authorization_code + refresh_token)',
      }),
      user: Type.Optional(
        Type.String({ description: 'username of the victim (default: the first user of the stack)' }),
      ),
      scope: Type.Optional(Type.String({ description: 'scope requested at login (default: the first RS scope)' })),
      attackerIntervalMs: Type.Integer({
        minimum: 100,
        maximum: 60_000,
        default: 1000,
        description: 'while active, how often the attacker retries a refresh and an API call, ms',
      }),
    },
    { additionalProperties: false },
  ),
  defaultDuration: '20s',
  needs: () => [],
  async inject(ctx, params, signal) {
    const unit = 'leaked-refresh-token'
    const ep = endpointsOf(ctx.targets, 'leaked-refresh-token')
    const client = pickClient(ctx.targets, unit, 'refresh_token', params.client)
    const user = pickUser(ctx.targets, unit, params.user)
    const rs = ctx.targets.resourceServers[0]
    const scope = params.scope ?? rs?.scope
    let login: TokenResponse
    try {
      login = await authCodeLogin(ep, client, { username: user.username, password: user.password, scope, signal })
    } catch (err) {
      throw injectFailed(unit, err)
    }
    if (!login.refresh_token)
      throw new GamedayError(
        'ERR_FAULT_INJECT_FAILED',
        `${unit}: the victim login gave no refresh token (${login.error ?? `status ${login.status}`})`,
      )
    const leaked = login.refresh_token
    // a stolen refresh token is also tried as a bearer token at every RS: an RS that accepts it
    // (introspection checked for active only) turns it into a long-lived API key (RFC 7662 §2.2)
    const refreshAcceptedBy: string[] = []
    for (const target of ctx.targets.resourceServers) {
      const r = await callResource(
        target.apiUrl,
        leaked,
        AbortSignal.any([signal, AbortSignal.timeout(5000)]),
        ep.transport,
      ).catch(() => undefined)
      if (r && r.status >= 200 && r.status < 300) {
        refreshAcceptedBy.push(target.name)
        ctx.emit('attacker.succeeded', { kind: 'refresh-as-access', target: target.name, fault: unit })
      }
    }
    const legit = () => refreshToken(ep, client, leaked, signal)
    const attacker = () => refreshToken(ep, client, leaked, signal)

    let legitFirst: TokenResponse
    let replay: TokenResponse
    const t0 = ctx.now()
    if (params.timing === 'after') {
      legitFirst = await legit()
      replay = await attacker()
    } else if (params.timing === 'before') {
      replay = await attacker()
      legitFirst = await legit()
    } else {
      const gap = Math.floor(ctx.random() * 50)
      ;[legitFirst, replay] = await Promise.all([legit(), sleep(gap, signal).then(attacker)])
    }
    // the legitimate client's next step shows whether the family was revoked
    const legitNext = legitFirst.refresh_token
      ? await refreshToken(ep, client, legitFirst.refresh_token, signal)
      : undefined
    const detectedAt = ctx.now()
    const attackerState = { refresh: replay.refresh_token, access: replay.access_token }
    const details: Record<string, unknown> = {
      timing: params.timing,
      client: client.clientId,
      replay: brief(replay),
      legitimate: brief(legitFirst),
      legitimateNext: legitNext ? brief(legitNext) : null,
      reuseRefused: !replay.ok || !legitFirst.ok,
      familyRevoked: legitNext ? !legitNext.ok : !legitFirst.ok,
      attackerRefreshes: replay.ok ? 1 : 0,
      attackerApiCalls: 0,
      detectionMs: detectedAt - t0,
      refreshAcceptedAsAccessBy: refreshAcceptedBy,
    }
    ctx.emit('refresh_token.replayed', {
      timing: params.timing,
      replayStatus: replay.status,
      replayError: replay.error ?? null,
      familyRevoked: details.familyRevoked,
    })
    if (replay.ok) ctx.emit('attacker.succeeded', { kind: 'refresh', fault: unit })

    const stop = new AbortController()
    const onAbort = () => stop.abort()
    signal.addEventListener('abort', onAbort, { once: true })
    const loop = (async () => {
      // bounded: at most one attempt per interval, ends on revert or abort
      for (let i = 0; i < 10_000 && !stop.signal.aborted; i++) {
        if (!(await sleep(params.attackerIntervalMs, stop.signal))) break
        try {
          if (attackerState.refresh) {
            const r = await refreshToken(ep, client, attackerState.refresh, stop.signal)
            if (r.ok) {
              details.attackerRefreshes = (details.attackerRefreshes as number) + 1
              attackerState.refresh = r.refresh_token ?? attackerState.refresh
              attackerState.access = r.access_token
              ctx.emit('attacker.succeeded', { kind: 'refresh', fault: unit })
            } else attackerState.refresh = undefined
          }
          if (attackerState.access && rs) {
            const c = await callResource(rs.apiUrl, attackerState.access, stop.signal, ep.transport)
            if (c.status === 200) {
              details.attackerApiCalls = (details.attackerApiCalls as number) + 1
              ctx.emit('attacker.succeeded', { kind: 'api-call', target: rs.name, fault: unit })
            } else if (c.status === 401) attackerState.access = undefined
          }
        } catch {
          // aborted or a transport error: the next tick retries
        }
      }
    })()
    return {
      details,
      revert: once(async () => {
        stop.abort()
        signal.removeEventListener('abort', onAbort)
        await loop
      }),
    }
  },
})
