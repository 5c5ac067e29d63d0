/**
 * M9 — JWKS refresh latency: per RS, the time from the first token signed
 * with a new kid to the first acceptance of such a token, max over RSs
 * (`jwks-refresh-latency` probe). RFC 7517 key rotation only works if RSs
 * refetch the key set on an unknown kid; a fixed-TTL cache breaks it.
 */
import { probeMaxMs, topKey } from './data.ts'
import type { SloDefinition } from './types.ts'

export const m9: SloDefinition = {
  id: 'M9',
  title: 'JWKS refresh latency (max over RSs)',
  objective: 'max<10s',
  window: 'run',
  severity: 'major',
  feeders: { probes: ['jwks-refresh-latency'] },
  indicator: (record, window, target) => probeMaxMs(record, 'jwks-refresh-latency', window, target),
  attribute(_record, _window, value) {
    if (value.forceFail)
      return `${value.forceFail}: an RS never accepted tokens signed with the new key (no refetch on unknown kid)`
    const top = topKey(value.breakdown)
    if (!top) return undefined
    return `slowest RS: ${top.key} took ${Math.round(top.count)}ms to accept the new key (key set cached beyond the rotation)`
  },
}
