/**
 * M1 — token issuance success rate: the share of token endpoint requests
 * (every grant) that returned a token. The first thing that breaks when an
 * AS is overloaded (RFC 6749 §5.2 errors, 429/503 answers, timeouts).
 */
import { faultsDuring, pct, rateIndicator, seriesOf, topKey } from './data.ts'
import type { SloDefinition } from './types.ts'

export const m1: SloDefinition = {
  id: 'M1',
  title: 'token issuance success rate',
  objective: 'rate>=0.999',
  window: 'run',
  severity: 'critical',
  feeders: { flows: 'any' },
  indicator: (record, window, _target, threshold) =>
    rateIndicator(seriesOf(record, ['oauth_token']), window, threshold ? { threshold } : {}),
  attribute(record, window, value) {
    const top = topKey(value.breakdown)
    if (!top) return undefined
    const faults = faultsDuring(record, window)
    const during = faults.length ? ` during ${faults.join(', ')}` : ''
    if (
      top.key === 'timeout' ||
      top.key === 'transport_error' ||
      top.key === 'connection_refused' ||
      top.key === 'connection_reset'
    )
      return `token endpoint unreachable or too slow (${pct(top.share)} of failures: ${top.key})${during}`
    if (top.key === 'status_429' || top.key === 'slow_down')
      return `token endpoint rate-limited clients (${pct(top.share)} of failures: ${top.key})${during}`
    if (top.key.startsWith('status_5') || top.key === 'temporarily_unavailable' || top.key === 'server_error')
      return `authorization server failed under load (${pct(top.share)} of failures: ${top.key})${during}`
    return `most failed token requests: ${top.key} (${pct(top.share)})${during}`
  },
}
