/**
 * M6 — introspection success rate: the share of token introspection calls
 * (RFC 7662) that got an answer. A rate-limited or failing introspection
 * endpoint forces every opaque-token RS to fail closed (or, worse, open).
 */
import { pct, rateIndicator, seriesOf, topKey } from './data.ts'
import type { SloDefinition } from './types.ts'

export const m6: SloDefinition = {
  id: 'M6',
  title: 'introspection success rate',
  objective: 'rate>=0.999',
  window: 'run',
  severity: 'major',
  feeders: { flows: ['introspection'] },
  indicator: (record, window, target, threshold) =>
    rateIndicator(seriesOf(record, ['introspection'], target), window, threshold ? { threshold } : {}),
  attribute(_record, _window, value) {
    const top = topKey(value.breakdown)
    if (!top) return undefined
    if (top.key === 'status_429') return `introspection endpoint rate-limited the RSs (${pct(top.share)} of failures)`
    return `most failed introspections: ${top.key} (${pct(top.share)})`
  },
}
