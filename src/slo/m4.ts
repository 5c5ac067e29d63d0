/**
 * M4 — refresh rotation success rate: the share of refresh_token grants that
 * returned a new token pair. Refresh token rotation (RFC 9700 §4.14.2,
 * OAuth 2.1 §4.3) must not strand honest clients: a reuse detector that
 * fires on a concurrent honest refresh, or a lost rotation, shows up here.
 */
import { pct, rateIndicator, seriesOf, topKey } from './data.ts'
import type { SloDefinition } from './types.ts'

export const m4: SloDefinition = {
  id: 'M4',
  title: 'refresh rotation success rate',
  objective: 'rate>=0.999',
  window: 'run',
  severity: 'major',
  feeders: { flows: ['refresh'] },
  indicator: (record, window, _target, threshold) =>
    rateIndicator(
      seriesOf(record, ['oauth_token']).filter((s) => s.tags.grant === 'refresh_token' && s.tags.token !== 'attacker'),
      window,
      threshold ? { threshold } : {},
    ),
  attribute(_record, _window, value) {
    const top = topKey(value.breakdown)
    if (!top) return undefined
    if (top.key === 'invalid_grant')
      return `honest refreshes refused with invalid_grant (${pct(top.share)} of failures): rotated token lost or reuse detection fired on an honest client`
    return `most failed refreshes: ${top.key} (${pct(top.share)})`
  },
}
