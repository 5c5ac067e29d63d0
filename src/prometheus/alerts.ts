/**
 * Alert transitions and time to detect. The watcher turns successive
 * `/api/v1/alerts` answers into transitions (`firing` when an alert appears
 * firing, at its `activeAt`; `resolved` when it is gone, at the poll that
 * saw it gone). `detections` pairs each firing with the fault that caused it:
 * the fault whose window, extended by the alert's longest window (errors
 * linger that long in the ratio), holds the firing. A firing no fault
 * explains is a false alarm.
 */
import type { AlertDetection, AlertTransition, FaultWindow } from '../record/index.ts'
import type { ApiAlert } from './server.ts'

export type { AlertDetection, AlertTransition } from '../record/index.ts'

const keyOf = (labels: Record<string, string>) =>
  Object.keys(labels)
    .filter((k) => k !== 'sloth_window')
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',')

/** Tracks firing alerts across polls. */
export class AlertWatcher {
  private readonly firing = new Map<string, AlertTransition>()
  readonly transitions: AlertTransition[] = []

  /** @param t0 epoch ms of the run's t0 */
  constructor(private readonly t0: number) {}

  /**
   * Feed one `/api/v1/alerts` answer seen at `nowMs` (epoch); returns the new transitions.
   *
   * @example watcher.update(await prom.alerts(), Date.now())
   */
  update(alerts: readonly ApiAlert[], nowMs: number): AlertTransition[] {
    const out: AlertTransition[] = []
    const seen = new Set<string>()
    for (const a of alerts) {
      if (a.state !== 'firing') continue
      const key = keyOf(a.labels)
      seen.add(key)
      if (this.firing.has(key)) continue
      const active = a.activeAt ? Date.parse(a.activeAt) : Number.NaN
      const at = (Number.isFinite(active) ? Math.min(active, nowMs) : nowMs) - this.t0
      const t: AlertTransition = {
        alertname: a.labels.alertname ?? 'unknown',
        state: 'firing',
        labels: { ...a.labels },
        at,
      }
      this.firing.set(key, t)
      out.push(t)
    }
    for (const [key, t] of this.firing) {
      if (seen.has(key)) continue
      this.firing.delete(key)
      out.push({ alertname: t.alertname, state: 'resolved', labels: t.labels, at: nowMs - this.t0 })
    }
    this.transitions.push(...out)
    return out
  }
}

/**
 * Pair firings with faults.
 *
 * @example detections(watcher.transitions, record.faults, endMs, (name) => 30_000)
 */
export function detections(
  transitions: readonly AlertTransition[],
  faults: readonly FaultWindow[],
  endMs: number,
  graceMs: (alertname: string) => number,
): AlertDetection[] {
  const out: AlertDetection[] = []
  const open = new Map<string, AlertDetection>()
  const injected = faults.filter((f) => f.status !== 'inject-failed')
  for (const t of [...transitions].sort((a, b) => a.at - b.at)) {
    const key = keyOf(t.labels)
    if (t.state === 'firing') {
      const grace = graceMs(t.alertname)
      const cause = injected
        .filter((f) => f.injectedAt <= t.at && t.at <= (f.revertedAt ?? endMs) + grace)
        .sort((a, b) => b.injectedAt - a.injectedAt)[0]
      const d: AlertDetection = {
        alertname: t.alertname,
        slo: t.labels.slo ?? '',
        severity: t.labels.severity ?? t.labels.sloth_severity ?? '',
        firedAt: t.at,
        falseAlarm: cause === undefined,
        ...(cause
          ? {
              faultIndex: cause.index,
              fault: cause.fault,
              timeToDetectSeconds: round((t.at - cause.injectedAt) / 1000),
            }
          : {}),
      }
      out.push(d)
      open.set(key, d)
    } else {
      const d = open.get(key)
      if (!d) continue
      open.delete(key)
      d.resolvedAt = t.at
      const cause = injected.find((f) => f.index === d.faultIndex)
      if (cause?.revertedAt !== undefined) d.timeToResolveSeconds = round((t.at - cause.revertedAt) / 1000)
    }
  }
  return out
}

const round = (s: number) => Math.round(s * 10) / 10
