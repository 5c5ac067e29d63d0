/**
 * M7 — suspicious token use detected: a replayed refresh token is refused,
 * the token family is revoked (RFC 9700 §4.14.2, OAuth 2.1 §4.3.1), and the
 * attacker gets nothing afterwards. Read from the `refresh-reuse-detection`
 * probe (value or `breakdown.detected`; every `breakdown.attacker*AfterDetection`
 * count) plus attacker traffic in the record (`token=attacker` requests that
 * succeeded after the first `refresh_token.reused` event).
 *
 * Indicator: 1 when detected and no attacker success after detection, else 0.
 */
import { inWindow, probesOf } from './data.ts'
import type { IndicatorValue, SloDefinition } from './types.ts'

export const m7: SloDefinition = {
  id: 'M7',
  title: 'suspicious token use detected (refresh reuse caught, attacker calls after detection = 0)',
  objective: 'detected',
  window: 'run',
  severity: 'critical',
  feeders: { probes: ['refresh-reuse-detection'] },
  indicator(record, window): IndicatorValue {
    const probes = probesOf(record, 'refresh-reuse-detection', window)
    if (probes.length === 0) return { value: null }
    let detected = true
    let after = 0
    for (const p of probes) {
      const d = p.breakdown?.detected
      const det = typeof d === 'boolean' ? d : p.value === true || (typeof p.value === 'number' && p.value > 0)
      if (!det || p.status !== 'ok') detected = false
      for (const [k, v] of Object.entries(p.breakdown ?? {}))
        if (/^attacker.*AfterDetection$/i.test(k) && typeof v === 'number') after += v
    }
    const detection = record.events.find(
      (e) => e.type === 'refresh_token.reused' && e.t >= window[0] && e.t < window[1],
    )
    if (detection) {
      for (const s of record.load.series) {
        if (s.tags.token !== 'attacker' || s.failed) continue
        for (const b of s.buckets) if (inWindow(b.s, window) && b.s * 1000 >= detection.t) after += b.count
      }
    }
    return {
      value: detected && after === 0 ? 1 : 0,
      breakdown: { detected: detected ? 1 : 0, attackerSuccessesAfterDetection: after },
    }
  },
  attribute(_record, _window, value) {
    if (value.breakdown?.detected === 0)
      return 'refresh token replay was not detected: the AS does not revoke the family on reuse'
    const after = value.breakdown?.attackerSuccessesAfterDetection ?? 0
    if (after > 0)
      return `reuse detected but the attacker succeeded ${after} times afterwards: access tokens of the revoked family still accepted`
    return undefined
  },
}
