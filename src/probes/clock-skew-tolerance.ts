/**
 * clock-skew-tolerance — the largest AS clock offset, in each direction, at
 * which each resource server still accepts a fresh token, found by a bounded
 * binary search, and compared with the tolerance the RS declares. RFC 7519
 * §4.1.4–4.1.5 allow "some small leeway"; an RS that declares 30 s but
 * rejects at 5 s (or accepts at 10 min) will surprise its operators on the
 * day NTP drifts.
 *
 * Ahead (AS clock fast): tokens carry `nbf`/`iat` in the RS's future; the
 * limit is the RS's tolerance. Behind (AS clock slow): tokens look expired
 * early; the limit is the access-token lifetime plus the tolerance. The AS
 * clock is restored to 0 at the end, whatever happens. Value: the smallest
 * ahead tolerance over RSs, in seconds.
 */
import { Type } from '@sinclair/typebox'
import { resolveKnobs } from '../../mock-rs/profiles.ts'
import { callResource } from '../oauth/client.ts'
import { fetchTransport } from '../oauth/transport.ts'
import { requireAs } from '../faults/support.ts'
import type { RsTarget } from '../runtime/types.ts'
import type { Scenario } from '../scenario/schema.ts'
import { Duration } from '../scenario/schema.ts'
import { parseDuration } from '../util/duration.ts'
import { deadline, mintFor, searchError, searchStatus } from './support.ts'
import { defineProbe } from './types.ts'

// every request of this probe is deliberate traffic (x-gameday-probe)
const marked = fetchTransport({ probe: 'clock-skew-tolerance' })

/** The clock tolerance an RS declares in its stats, in seconds, when it says. */
export function declaredToleranceSeconds(stats: Record<string, unknown> | undefined): number | null {
  if (!stats) return null
  const candidates = [
    stats.clockToleranceSeconds,
    stats.clockTolerance,
    (stats.options as Record<string, unknown> | undefined)?.clockTolerance,
    (stats.knobs as Record<string, unknown> | undefined)?.clockTolerance,
  ]
  for (const c of candidates) {
    if (typeof c === 'number') return c
    if (typeof c === 'string') {
      const ms = parseDuration(c)
      if (ms !== undefined) return ms / 1000
    }
  }
  return null
}

/** What the scenario declares for a reference RS: its profile's clockTolerance, or the override in `options`. */
export function declaredFromScenario(scenario: Scenario, rs: RsTarget): number | null {
  const cfg = scenario.stack.resourceServers.find((r) => r.name === rs.name)
  if (!cfg || cfg.url) return null
  const ms = parseDuration(resolveKnobs(cfg.profile, cfg.options ?? {}).clockTolerance)
  return ms === undefined ? null : ms / 1000
}

export const clockSkewTolerance = defineProbe({
  id: 'clock-skew-tolerance',
  summary:
    'Per RS, the largest AS clock offset (both directions) it still accepts, by bounded search, against what it declares.',
  params: Type.Object(
    {
      timeout: Duration('bound on the whole search', '60s'),
      maxOffsetSeconds: Type.Integer({
        minimum: 1,
        maximum: 86_400,
        default: 900,
        description: 'largest offset tried in each direction, seconds',
      }),
      steps: Type.Integer({
        minimum: 1,
        maximum: 20,
        default: 10,
        description: 'binary-search steps per RS and direction (resolution = maxOffsetSeconds / 2^steps)',
      }),
      target: Type.Optional(Type.String({ description: 'measure only this RS (default: every RS)' })),
    },
    { additionalProperties: false },
  ),
  needs: () => ['as-control'],
  async run(ctx, params, signal) {
    const as = requireAs(ctx.targets, 'clock-skew-tolerance')
    const limit = deadline(signal, params.timeout)
    const rss = ctx.targets.resourceServers.filter((r) => params.target === undefined || r.name === params.target)
    const observations: Array<Record<string, unknown>> = []
    const accepts = async (rs: RsTarget, offset: number): Promise<boolean> => {
      await as.setClockOffset(offset)
      const t = await mintFor(ctx.targets, 'clock-skew-tolerance', rs, { signal: limit.signal })
      if (!t.access_token) throw new Error(`token request failed at offset ${offset}s (${t.error ?? t.status})`)
      const r = await callResource(rs.apiUrl, t.access_token, limit.signal, marked)
      observations.push({
        t: ctx.now(),
        rs: rs.name,
        offsetSeconds: offset,
        status: r.status,
        ...(r.reason ? { reason: r.reason } : {}),
      })
      return r.status === 200
    }
    // largest accepted |offset| in direction sign, or null when even 0 is refused
    const search = async (rs: RsTarget, sign: 1 | -1): Promise<number | null> => {
      if (!(await accepts(rs, 0))) return null
      if (await accepts(rs, sign * params.maxOffsetSeconds)) return params.maxOffsetSeconds
      let lo = 0
      let hi = params.maxOffsetSeconds
      for (let i = 0; i < params.steps && hi - lo > 1 && !limit.signal.aborted; i++) {
        const mid = Math.floor((lo + hi) / 2)
        if (await accepts(rs, sign * mid)) lo = mid
        else hi = mid
      }
      return lo
    }
    const breakdown: Record<string, number | null> = {}
    let min: number | null = null
    let error: string | undefined
    try {
      for (const rs of rss) {
        const ahead = await search(rs, 1)
        const behind = await search(rs, -1)
        const declared =
          declaredToleranceSeconds(await rs.control?.stats().catch(() => undefined)) ??
          declaredFromScenario(ctx.scenario, rs)
        breakdown[`${rs.name}.ahead`] = ahead
        breakdown[`${rs.name}.behind`] = behind
        breakdown[`${rs.name}.declared`] = declared
        if (ahead !== null) min = Math.min(min ?? Number.POSITIVE_INFINITY, ahead)
      }
    } catch (err) {
      error = searchError(limit, err)
    } finally {
      await as.setClockOffset(0)
    }
    return {
      name: 'clock skew tolerated, ahead (min over RSs)',
      status: searchStatus(limit, error),
      value: min,
      unit: 's',
      breakdown,
      observations,
      ...(error ? { error } : {}),
    }
  },
})
