/**
 * dpop-iat-window — per resource server, the proof-age window it accepts:
 * how old (past) and how early (future) a DPoP proof's `iat` may be before
 * the RS refuses it, found by a bounded binary search per direction, and
 * compared with the window the RS declares. RFC 9449 §4.3 step 11 and §11.1
 * leave the window to the server ("a reasonable window"); FAPI 2.0 bounds it
 * at 60 s / 10 s, node-oidc-provider takes ±300 s, a hand-written check may
 * take 5 s. An AS and an RS that disagree, or an RS tighter than its
 * clients' clock drift, refuse honest proofs (M12).
 *
 * Each RS gets one DPoP-bound token (client_credentials with a proof, RFC
 * 9449 §5), then proofs dated `age` seconds back or ahead (a fresh `jti`
 * each, a `use_dpop_nonce` challenge answered once). iat is a whole second,
 * so the resolution is 1 s. Every request carries `x-gameday-probe`. An RS
 * that the scenario runs with `dpop: ignore` is skipped; one that refuses
 * a fresh proof is reported, not measured. Value: the narrowest side of any
 * RS's window, in seconds.
 */
import { Type } from '@sinclair/typebox'
import { resolveKnobs } from '../../mock-rs/profiles.ts'
import { honestBoundToken, sendToRs } from '../faults/dpop-abuse.ts'
import { DpopSession } from '../oauth/dpop-client.ts'
import type { RsTarget } from '../runtime/types.ts'
import type { Scenario } from '../scenario/schema.ts'
import { Duration } from '../scenario/schema.ts'
import { parseDuration } from '../util/duration.ts'
import { deadline, searchError, searchStatus } from './support.ts'
import { defineProbe } from './types.ts'

const ID = 'dpop-iat-window'

/** A proof-age window in seconds, each way. */
export interface IatWindow {
  past: number
  future: number
}

function seconds(v: unknown): number | undefined {
  if (typeof v === 'number') return v
  if (typeof v === 'string') {
    const ms = parseDuration(v)
    if (ms !== undefined) return ms / 1000
  }
  return undefined
}

/** The window an RS declares in its stats (`dpop.iatPastSeconds`, `dpopIatPast`, …), when it says. */
export function declaredWindowFromStats(stats: Record<string, unknown> | undefined): IatWindow | null {
  if (!stats) return null
  const nested = (stats.dpop ?? stats.knobs ?? stats.options) as Record<string, unknown> | undefined
  const past = seconds(nested?.iatPastSeconds ?? stats.dpopIatPastSeconds ?? nested?.dpopIatPast ?? stats.dpopIatPast)
  const future = seconds(
    nested?.iatFutureSeconds ?? stats.dpopIatFutureSeconds ?? nested?.dpopIatFuture ?? stats.dpopIatFuture,
  )
  return past !== undefined && future !== undefined ? { past, future } : null
}

/**
 * What the scenario says of a reference RS: its window (profile plus
 * `options`), `ignore` when it does not verify DPoP, null for yours (url).
 */
export function declaredFromScenario(scenario: Scenario, rs: RsTarget): IatWindow | 'ignore' | null {
  const cfg = scenario.stack.resourceServers.find((r) => r.name === rs.name)
  if (!cfg || cfg.url) return null
  const knobs = resolveKnobs(cfg.profile, cfg.options ?? {})
  if (knobs.dpop === 'ignore') return 'ignore'
  const past = seconds(knobs.dpopIatPast)
  const future = seconds(knobs.dpopIatFuture)
  return past !== undefined && future !== undefined ? { past, future } : null
}

export const dpopIatWindow = defineProbe({
  id: ID,
  summary:
    'Per RS, the DPoP proof-age window it accepts (iat in the past and in the future), by bounded search, against what it declares.',
  params: Type.Object(
    {
      timeout: Duration('bound on the whole search', '30s'),
      maxAgeSeconds: Type.Integer({
        minimum: 1,
        maximum: 86_400,
        default: 600,
        description:
          'largest proof age tried in each direction, seconds (a window at least this wide is reported as it)',
      }),
      steps: Type.Integer({
        minimum: 1,
        maximum: 20,
        default: 12,
        description: 'binary-search steps per RS and direction (resolution: maxAgeSeconds / 2^steps, at best 1 s)',
      }),
      target: Type.Optional(Type.String({ description: 'measure only this RS (default: every RS)' })),
      requestTimeoutMs: Type.Integer({
        minimum: 100,
        maximum: 30_000,
        default: 3000,
        description: 'per-request timeout, ms',
      }),
    },
    { additionalProperties: false },
  ),
  needs: () => [],
  async run(ctx, params, signal) {
    const limit = deadline(signal, params.timeout)
    const rss = ctx.targets.resourceServers.filter((r) => params.target === undefined || r.name === params.target)
    const observations: Array<Record<string, unknown>> = []
    const breakdown: Record<string, number | boolean | null> = {}
    const notes: string[] = []
    let narrowest: number | null = null
    let error: string | undefined
    try {
      for (const rs of rss) {
        const fromScenario = declaredFromScenario(ctx.scenario, rs)
        if (fromScenario === 'ignore') {
          notes.push(`${rs.name}: does not verify DPoP (dpop: ignore), not measured`)
          continue
        }
        // the proof clock of this session: `offset` seconds off the wall clock
        let offset = 0
        const session = DpopSession.generate('ES256', () => Date.now() + offset * 1000)
        const token = await honestBoundToken(ctx.targets, ID, rs, session, undefined, limit.signal)
        const accepts = async (age: number): Promise<boolean> => {
          offset = age
          const r = await sendToRs(
            ID,
            rs,
            { scheme: 'DPoP', token, proof: () => session.proof('GET', rs.apiUrl, token), session },
            params.requestTimeoutMs,
            limit.signal,
          )
          observations.push({
            t: ctx.now(),
            rs: rs.name,
            offsetSeconds: age,
            status: r.status,
            ...(r.challenge ? { error: r.challenge } : {}),
          })
          return r.status >= 200 && r.status < 300
        }
        // the largest accepted age in direction `sign` (-1: iat in the past), or null when a fresh proof is refused
        const search = async (sign: 1 | -1): Promise<number | null> => {
          if (!(await accepts(0))) return null
          if (await accepts(sign * params.maxAgeSeconds)) return params.maxAgeSeconds
          let lo = 0
          let hi = params.maxAgeSeconds
          for (let i = 0; i < params.steps && hi - lo > 1 && !limit.signal.aborted; i++) {
            const mid = Math.floor((lo + hi) / 2)
            if (await accepts(sign * mid)) lo = mid
            else hi = mid
          }
          return lo
        }
        const past = await search(-1)
        if (past === null) {
          notes.push(`${rs.name}: refused a fresh DPoP proof, not measured`)
          breakdown[`${rs.name}.past`] = null
          breakdown[`${rs.name}.future`] = null
          continue
        }
        const future = (await search(1)) ?? 0
        breakdown[`${rs.name}.past`] = past
        breakdown[`${rs.name}.future`] = future
        narrowest = Math.min(narrowest ?? Number.POSITIVE_INFINITY, past, future)
        const declared =
          declaredWindowFromStats(await rs.control?.stats().catch(() => undefined)) ??
          (fromScenario as IatWindow | null)
        if (declared) {
          breakdown[`${rs.name}.declaredPast`] = declared.past
          breakdown[`${rs.name}.declaredFuture`] = declared.future
          // iat is a whole second: the measured edge is the declared one or the second before
          const near = (m: number, d: number) => m >= Math.min(d, params.maxAgeSeconds) - 1 && m <= d + 1
          breakdown[`${rs.name}.matchesDeclared`] = near(past, declared.past) && near(future, declared.future)
        }
      }
    } catch (err) {
      error = searchError(limit, err)
    }
    if (notes.length) observations.push({ t: ctx.now(), notes })
    return {
      name: 'DPoP proof iat window, narrowest side (min over RSs)',
      status: searchStatus(limit, error),
      value: narrowest,
      unit: 's',
      breakdown,
      observations,
      ...(error ? { error } : {}),
    }
  },
})
