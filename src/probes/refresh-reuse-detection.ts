/**
 * refresh-reuse-detection — does the AS detect a replayed refresh token?
 * RFC 9700 §4.14.2 (and OAuth 2.1 §4.3.1): with rotation, presenting a token
 * that was already rotated must be refused and must revoke the whole family,
 * so that the legitimate client's current token stops working too. The probe
 * logs a victim in (authorization code + PKCE), lets the legitimate client
 * rotate, replays the old token as the attacker, checks that the legitimate
 * client's current token is dead, has the attacker try again (successes after
 * detection must be 0), and runs honest clients refreshing concurrently, each
 * in its own family, to count false positives.
 *
 * Value: true when the replay was refused, the family revoked, the attacker
 * got nothing after detection and no honest client was refused.
 */
import { Type } from '@sinclair/typebox'
import { GamedayError } from '../errors.ts'
import { authCodeLogin, callResource, refreshToken, type TokenResponse } from '../oauth/client.ts'
import { endpointsOf, pickClient, pickUser } from '../faults/support.ts'
import { Duration } from '../scenario/schema.ts'
import { deadline, round } from './support.ts'
import { defineProbe } from './types.ts'

export const refreshReuseDetection = defineProbe({
  id: 'refresh-reuse-detection',
  summary:
    'A replayed refresh token is refused, its family revoked, the attacker gets nothing after detection, honest clients are not refused.',
  params: Type.Object(
    {
      timeout: Duration('bound on the whole probe', '30s'),
      client: Type.String({ default: 'spa', description: 'client with authorization_code and refresh_token grants' }),
      user: Type.Optional(Type.String({ description: 'username to log in (default: the first user)' })),
      attackerAttempts: Type.Integer({
        minimum: 1,
        maximum: 50,
        default: 3,
        description: 'refreshes and API calls the attacker tries after detection',
      }),
      honestClients: Type.Integer({
        minimum: 0,
        maximum: 20,
        default: 3,
        description: 'honest clients refreshing concurrently (false-positive check)',
      }),
      honestRefreshes: Type.Integer({
        minimum: 1,
        maximum: 20,
        default: 3,
        description: 'sequential refreshes per honest client',
      }),
    },
    { additionalProperties: false },
  ),
  needs: () => [],
  async run(ctx, params, signal) {
    const limit = deadline(signal, params.timeout)
    const unit = 'refresh-reuse-detection'
    const ep = endpointsOf(ctx.targets, 'refresh-reuse-detection')
    const client = pickClient(ctx.targets, unit, 'refresh_token', params.client)
    const user = pickUser(ctx.targets, unit, params.user)
    const rs = ctx.targets.resourceServers[0]
    const scope = rs?.scope
    const login = () =>
      authCodeLogin(ep, client, { username: user.username, password: user.password, scope, signal: limit.signal })
    const observations: Array<Record<string, unknown>> = []
    const note = (event: string, r: TokenResponse) =>
      observations.push({ t: ctx.now(), event, status: r.status, ...(r.error ? { error: r.error } : {}) })

    // A: the legitimate client rotates first, the attacker replays the old token
    const victim = await login()
    if (!victim.refresh_token)
      throw new GamedayError(
        'ERR_PROBE_FAILED',
        `${unit}: login gave no refresh token (${victim.error ?? victim.status})`,
      )
    const rotated = await refreshToken(ep, client, victim.refresh_token, limit.signal)
    note('legitimate.rotated', rotated)
    if (!rotated.refresh_token)
      throw new GamedayError(
        'ERR_PROBE_FAILED',
        `${unit}: the legitimate refresh failed (${rotated.error ?? rotated.status})`,
      )
    const replayAt = ctx.now()
    const replay = await refreshToken(ep, client, victim.refresh_token, limit.signal)
    const detectedAt = ctx.now()
    note('attacker.replayed', replay)
    const legitNext = await refreshToken(ep, client, rotated.refresh_token, limit.signal)
    note('legitimate.after-replay', legitNext)
    const reusedEvent = ctx.events().find((e) => e.type === 'refresh_token.reused' && e.t >= replayAt - 1000)

    // B: the attacker uses the stolen token first; the legitimate client's
    // (now rotated) token is the reuse the AS must detect, and the attacker's
    // fresh token must die with the family
    const victimB = await login()
    if (!victimB.refresh_token)
      throw new GamedayError(
        'ERR_PROBE_FAILED',
        `${unit}: login gave no refresh token (${victimB.error ?? victimB.status})`,
      )
    const stolen = await refreshToken(ep, client, victimB.refresh_token, limit.signal)
    note('attacker.rotated-first', stolen)
    const legitLate = await refreshToken(ep, client, victimB.refresh_token, limit.signal)
    note('legitimate.presented-rotated', legitLate)

    const replayRefused = !replay.ok && !legitLate.ok
    let attackerSuccesses = replay.ok ? 1 : 0
    const holdings = [
      { rt: replay.refresh_token, at: replay.access_token },
      { rt: stolen.refresh_token, at: stolen.access_token },
    ]
    let attackerStillRefreshes = false
    for (const h of holdings) {
      for (let i = 0; i < params.attackerAttempts && !limit.signal.aborted; i++) {
        if (h.rt) {
          const r = await refreshToken(ep, client, h.rt, limit.signal)
          note('attacker.refresh', r)
          if (r.ok) {
            attackerSuccesses++
            attackerStillRefreshes = true
            h.rt = r.refresh_token ?? h.rt
            h.at = r.access_token ?? h.at
          } else h.rt = undefined
        }
        if (h.at && rs && h.rt) {
          // API calls only count with tokens obtained after detection (a JWT issued before stays valid until exp)
          const c = await callResource(rs.apiUrl, h.at, limit.signal, ep.transport)
          observations.push({ t: ctx.now(), event: 'attacker.api-call', rs: rs.name, status: c.status })
          if (c.status === 200) attackerSuccesses++
        }
      }
    }
    const familyRevoked = !legitNext.ok && !attackerStillRefreshes

    // honest clients, one family each, refreshing at the same time
    let falsePositives = 0
    await Promise.all(
      Array.from({ length: params.honestClients }, async (_, n) => {
        const h = await login()
        let rt = h.refresh_token
        for (let i = 0; rt && i < params.honestRefreshes && !limit.signal.aborted; i++) {
          const r = await refreshToken(ep, client, rt, limit.signal)
          if (!r.ok) {
            falsePositives++
            observations.push({
              t: ctx.now(),
              event: 'honest.refused',
              client: n,
              status: r.status,
              error: r.error ?? null,
            })
            break
          }
          rt = r.refresh_token
        }
      }),
    )
    const ok = replayRefused && familyRevoked && attackerSuccesses === 0 && falsePositives === 0
    return {
      name: 'refresh token reuse detected and contained',
      status: 'ok',
      value: ok,
      unit: 'bool',
      breakdown: {
        replayRefused,
        familyRevoked,
        detectionMs: replayRefused
          ? round(reusedEvent ? Math.max(0, reusedEvent.t - replayAt) : detectedAt - replayAt)
          : null,
        attackerSuccessesAfterDetection: attackerSuccesses,
        falsePositives,
      },
      observations,
    }
  },
})
