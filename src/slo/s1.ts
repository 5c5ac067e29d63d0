/**
 * S1 — fail-open acceptances (security): requests an RS served with 200
 * while it could not validate the token (introspection rate-limited or down,
 * JWKS unreachable). Any is a breach: the RS trusted an unverified bearer
 * token (RFC 6750 §5.2; the fail-open incidents of cached-auth gateways).
 *
 * Counted from the `fail-open` probe's value plus `fail_open.accepted` events
 * reported by the RSs. There is data when the probe ran or RS traffic flowed
 * in the window (an RS that saw requests would have reported acceptances).
 */
import { inWindow, probesOf, seriesOf } from './data.ts'
import type { IndicatorValue, SloDefinition } from './types.ts'

export const s1: SloDefinition = {
  id: 'S1',
  title: 'fail-open acceptances (security)',
  objective: 'count==0',
  window: 'run',
  severity: 'critical',
  feeders: { probes: ['fail-open'], flows: ['api-call', 'browser-login', 'introspection'] },
  indicator(record, window, target): IndicatorValue {
    const probes = probesOf(record, 'fail-open', window)
    let fromProbe = 0
    for (const p of probes) {
      if (target !== undefined && typeof p.breakdown?.[target] === 'number') fromProbe += p.breakdown[target] as number
      else if (typeof p.value === 'number') fromProbe += p.value
    }
    const breakdown: Record<string, number> = {}
    let fromEvents = 0
    for (const e of record.events) {
      if (e.type !== 'fail_open.accepted' || e.t < window[0] || e.t >= window[1]) continue
      const rs = e.source.startsWith('rs:') ? e.source.slice(3) : e.source
      if (target !== undefined && rs !== target) continue
      fromEvents += 1
      breakdown[rs] = (breakdown[rs] ?? 0) + 1
    }
    const traffic = seriesOf(record, ['rs_request'], target).some((s) =>
      s.buckets.some((b) => b.count > 0 && inWindow(b.s, window)),
    )
    if (probes.length === 0 && !traffic && fromEvents === 0) return { value: null }
    return { value: fromProbe + fromEvents, breakdown: { ...breakdown, probe: fromProbe, events: fromEvents } }
  },
  attribute(_record, _window, value) {
    if (!value.value) return undefined
    const rs = Object.entries(value.breakdown ?? {})
      .filter(([k, v]) => k !== 'probe' && k !== 'events' && v > 0)
      .map(([k]) => k)
    return `RS served requests it could not validate (fail-open)${rs.length ? ` on ${rs.join(', ')}` : ''}: a security breach`
  },
}
