/**
 * M2 — token endpoint latency: a percentile of the token endpoint's latency,
 * measured from the intended send time so a stalled AS is not hidden by
 * coordinated omission (Gil Tene; k6's open-model executors). All requests
 * count, as in k6's `http_req_duration`.
 */
import { faultsDuring, latencyIndicator, seriesOf } from './data.ts'
import type { SloDefinition } from './types.ts'

export const m2: SloDefinition = {
  id: 'M2',
  title: 'token endpoint latency p95',
  objective: 'p(95)<300ms',
  window: 'run',
  severity: 'major',
  feeders: { flows: 'any' },
  indicator: (record, window, _target, threshold) =>
    latencyIndicator(seriesOf(record, ['oauth_token']), window, threshold),
  attribute(record, window) {
    const faults = faultsDuring(record, window)
    const drops = record.load.counters
      .filter((c) => c.name === 'dropped_iterations')
      .reduce(
        (n, c) =>
          n +
          c.values.filter((v) => v.s * 1000 >= window[0] && v.s * 1000 < window[1]).reduce((a, v) => a + v.value, 0),
        0,
      )
    const parts: string[] = []
    if (faults.length) parts.push(`latency rose during ${faults.join(', ')}`)
    else parts.push('token endpoint saturated at this arrival rate')
    if (drops > 0) parts.push(`${drops} iterations dropped (the load generator ran out of VUs: queueing at the AS)`)
    return parts.join('; ')
  },
}
