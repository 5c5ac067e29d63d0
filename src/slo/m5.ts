/**
 * M5 — revocation propagation time: from a successful revocation (RFC 7009)
 * to the first rejection of the revoked token, max over resource servers,
 * read from the `revocation-propagation` probe. Long introspection caches
 * and JWT validation without a revocation feed are what breaks it.
 */
import { probeMaxMs, topKey } from './data.ts'
import type { SloDefinition } from './types.ts'

export const m5: SloDefinition = {
  id: 'M5',
  title: 'revocation propagation time (max over RSs)',
  objective: 'max<30s',
  window: 'run',
  severity: 'major',
  feeders: { probes: ['revocation-propagation'] },
  indicator: (record, window, target) => probeMaxMs(record, 'revocation-propagation', window, target),
  attribute(_record, _window, value) {
    const top = topKey(value.breakdown)
    if (!top) return undefined
    return `slowest RS: ${top.key} kept accepting the revoked token for ${Math.round(top.count)}ms (cached validation outlived the revocation)`
  },
}
