/**
 * D1 — time to detect: seconds from a fault's injection to the firing of an
 * SLO's page alert (`GamedaySLO_<alert>_page`) in the real Prometheus that
 * `run --prometheus` starts beside the stack; max over the faults. The
 * incident it models is monitoring that does not notice: an SLO burning
 * while no alert fires. A fault the alert never fired for, or a firing no
 * fault explains (a false alarm), breaks it whatever the number says.
 *
 * Fed only by `run --prometheus`; a scenario with D1 run without it is refused.
 */
import { slis } from '../prometheus/slis.ts'
import type { IndicatorValue, SloDefinition } from './types.ts'

/** The SLO whose page alert D1 times when the entry names none. */
export const D1_DEFAULT_ALERT = 'M3'

export const d1: SloDefinition = {
  id: 'D1',
  title: 'time to detect (page alert after fault injection, max over faults)',
  objective: 'max<30s',
  window: 'run',
  severity: 'major',
  feeders: { runOptions: ['prometheus'] },
  indicator(record, window, _target, _threshold, entry): IndicatorValue {
    const p = record.prometheus
    if (!p) return { value: null }
    const slo = entry?.alert ?? D1_DEFAULT_ALERT
    const name = `GamedaySLO_${slo}_page`
    if (!slis[slo]) return { value: null }
    const inWindow = (t: number) => t >= window[0] && t < window[1]
    const faults = record.faults.filter((f) => f.status !== 'inject-failed' && inWindow(f.injectedAt))
    const fired = p.detections.filter((d) => d.alertname === name)
    const falseAlarms = fired.filter((d) => d.falseAlarm && inWindow(d.firedAt))
    if (faults.length === 0 && falseAlarms.length === 0) return { value: null }
    const breakdown: Record<string, number> = {}
    const missed: string[] = []
    let max: number | null = null
    for (const f of faults) {
      const first = fired.filter((d) => d.faultIndex === f.index).sort((a, b) => a.firedAt - b.firedAt)[0]
      const key = `${f.fault}#${f.index}`
      const ms = first ? first.firedAt - f.injectedAt : window[1] - f.injectedAt
      if (!first) missed.push(key)
      breakdown[key] = ms
      max = max === null ? ms : Math.max(max, ms)
    }
    const out: IndicatorValue = { value: max ?? 0, total: faults.length, breakdown }
    if (missed.length) out.forceFail = `${name} never fired for ${missed.join(', ')}`
    else if (falseAlarms.length)
      out.forceFail = `${name} fired with no fault to explain it (false alarm at ${falseAlarms.map((d) => `${(d.firedAt / 1000).toFixed(1)}s`).join(', ')})`
    return out
  },
  attribute(_record, _window, value) {
    if (value.forceFail) return `${value.forceFail}: the monitoring did not notice in time`
    const worst = Object.entries(value.breakdown ?? {}).sort((a, b) => b[1] - a[1])[0]
    return worst ? `the page alert fired ${(worst[1] / 1000).toFixed(1)}s after ${worst[0]}` : undefined
  },
}
