/**
 * S3 — AS exposures (security): answers the authorization server should not
 * have given, from the `as-exposure` probe: introspection without or with a
 * wrong client authentication (RFC 7662 §2.1), a client learning whether
 * another client's tokens are live (§4, token scanning), a token issued for
 * an audience nobody registered (RFC 8707 §2). Any is a breach; the
 * throttling of a guessing burst is reported by the probe, not counted.
 */
import { probesOf } from './data.ts'
import type { IndicatorValue, SloDefinition } from './types.ts'

const PROBE = 'as-exposure'

export const s3: SloDefinition = {
  id: 'S3',
  title: 'AS exposures (security)',
  objective: 'count==0',
  window: 'run',
  severity: 'critical',
  feeders: { probes: [PROBE] },
  indicator(record, window): IndicatorValue {
    const results = probesOf(record, PROBE, window)
    if (results.length === 0) return { value: null }
    const breakdown: Record<string, number> = {}
    let total = 0
    let applicable = 0
    for (const r of results) {
      for (const o of r.observations as Array<{ check?: unknown; applicable?: unknown; exposed?: unknown }>) {
        if (typeof o.check !== 'string' || o.applicable !== true) continue
        applicable += 1
        const n = o.exposed === true ? 1 : 0
        total += n
        breakdown[o.check] = (breakdown[o.check] ?? 0) + n
      }
    }
    return applicable === 0 ? { value: null } : { value: total, breakdown }
  },
  attribute(_record, _window, value) {
    if (!value.value) return undefined
    const checks = Object.entries(value.breakdown ?? {})
      .filter(([, v]) => v > 0)
      .map(([k]) => k)
    return `the authorization server exposed token state: ${checks.join(', ')} (see docs/game-days.md#as-exposure)`
  },
}
