/**
 * M10 — authorization error rate: failed authorization requests and browser
 * logins (RFC 6749 §4.1.2.1 error redirects, login pages that do not load)
 * over all of them.
 */
import { pct, rateIndicator, seriesOf, topKey } from './data.ts'
import type { SloDefinition } from './types.ts'

export const m10: SloDefinition = {
  id: 'M10',
  title: 'authorization error rate',
  objective: 'rate<0.005',
  window: 'run',
  severity: 'major',
  feeders: { flows: ['auth-code', 'browser-login'] },
  indicator: (record, window, _target, threshold) =>
    // A browser login records each step and a `total`; count each login once, by its total.
    rateIndicator(
      seriesOf(record, ['oauth_authorize', 'browser_login']).filter(
        (s) => s.metric !== 'browser_login' || s.tags.endpoint === 'total',
      ),
      window,
      { badShare: true, ...(threshold ? { threshold } : {}) },
    ),
  attribute(_record, _window, value) {
    const top = topKey(value.breakdown)
    return top ? `most failed authorizations: ${top.key} (${pct(top.share)})` : undefined
  },
}
