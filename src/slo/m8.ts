/**
 * M8 — PKCE failures for public clients (RFC 7636, RFC 9700 §2.1.1): the
 * `pkce-enforcement` probe must see a request without a challenge and a
 * redemption with a wrong verifier both refused, and honest authorization
 * code redemptions must not fail on PKCE (`invalid_grant` / `invalid_request`).
 *
 * Indicator: the number of failures — each probe check that did not hold
 * (a false breakdown entry, or a false value) plus every failed honest
 * authorization_code redemption with one of those errors.
 */
import { inWindow, probesOf, seriesOf } from './data.ts'
import type { IndicatorValue, SloDefinition } from './types.ts'

export const m8: SloDefinition = {
  id: 'M8',
  title: 'PKCE failures for public clients',
  objective: 'count==0',
  window: 'run',
  severity: 'critical',
  feeders: { probes: ['pkce-enforcement'], flows: ['auth-code', 'browser-login'] },
  indicator(record, window): IndicatorValue {
    const probes = probesOf(record, 'pkce-enforcement', window)
    let enforcement = 0
    for (const p of probes) {
      const falses = Object.values(p.breakdown ?? {}).filter((v) => v === false).length
      enforcement +=
        falses > 0 ? falses : p.value === false || p.status !== 'ok' ? 1 : typeof p.value === 'number' ? p.value : 0
    }
    const flows = seriesOf(record, ['oauth_token']).filter(
      (s) => s.tags.grant === 'authorization_code' && s.tags.token !== 'attacker',
    )
    let honestTotal = 0
    let honest = 0
    for (const s of flows) {
      for (const b of s.buckets) {
        if (!inWindow(b.s, window)) continue
        honestTotal += b.count
        if (s.failed && (s.tags.error === 'invalid_grant' || s.tags.error === 'invalid_request')) honest += b.count
      }
    }
    if (probes.length === 0 && honestTotal === 0) return { value: null }
    return { value: enforcement + honest, total: honestTotal, breakdown: { enforcement, honestFlowFailures: honest } }
  },
  attribute(_record, _window, value) {
    const b = value.breakdown ?? {}
    if ((b.enforcement ?? 0) > 0)
      return 'PKCE not enforced: a request without a challenge or with a wrong verifier was accepted'
    if ((b.honestFlowFailures ?? 0) > 0)
      return `honest authorization code redemptions failed PKCE verification (${b.honestFlowFailures})`
    return undefined
  },
}
