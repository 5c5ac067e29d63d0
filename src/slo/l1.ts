/**
 * L1 — browser login latency: a percentile of the whole login as a person
 * lives it in a real browser (authorization page, login form, consent,
 * redirect, code exchange), from the iteration's intended start. An
 * extension to the M1–M10 seed table for single-page and mobile apps.
 */
import { latencyIndicator, seriesOf } from './data.ts'
import type { SloDefinition } from './types.ts'

export const l1: SloDefinition = {
  id: 'L1',
  title: 'browser login latency p95',
  objective: 'p(95)<3s',
  window: 'run',
  severity: 'major',
  feeders: { flows: ['browser-login'] },
  indicator: (record, window, _target, threshold) =>
    latencyIndicator(
      seriesOf(record, ['browser_login']).filter((s) => s.tags.endpoint === 'total'),
      window,
      threshold,
    ),
  attribute(record, window) {
    const steps = ['login-page', 'submit', 'code-exchange']
      .map((endpoint) => {
        const v = latencyIndicator(
          seriesOf(record, ['browser_login']).filter((s) => s.tags.endpoint === endpoint),
          window,
        )
        return v.value === null ? undefined : `${endpoint} p95 ${Math.round(v.value)} ms`
      })
      .filter((x): x is string => x !== undefined)
    return steps.length ? `slowest steps: ${steps.join(', ')}` : undefined
  },
}
