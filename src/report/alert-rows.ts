/**
 * The Prometheus alerts of a `run --prometheus` record, as rows every
 * reporter shows the same way: per firing, time to detect after its fault's
 * injection and time to resolve after the revert, or "false alarm" when no
 * fault explains it; alerts that never fired; the windows the alerts used.
 */
import type { RunRecord } from '../record/index.ts'

export interface AlertRow {
  alert: string
  severity: string
  fault: string
  firedAt: string
  timeToDetect: string
  resolvedAt: string
  timeToResolve: string
  verdict: 'detected' | 'false alarm'
}

const sec = (ms: number) => `${(ms / 1000).toFixed(1)}s`
const signed = (s: number) => `${s.toFixed(1)}s`

/** The windows line: `page 14.4x over 5s/30s; ticket 1x over 15s/1m0s (scrape 1s)`. */
export function alertWindowsLine(p: NonNullable<RunRecord['prometheus']>): string {
  return `${p.windows.map((w) => `${w.severity} ${w.factor}x over ${w.shortSeconds}s and ${w.longSeconds}s`).join('; ')} (scrape and evaluation every ${p.scrapeIntervalSeconds}s, Prometheus ${p.version})`
}

/**
 * Rows of the alerts table, and the alerts that never fired.
 *
 * @example const { rows, silent } = alertRows(record)
 */
export function alertRows(record: RunRecord): { rows: AlertRow[]; silent: string[] } {
  const p = record.prometheus
  if (!p) return { rows: [], silent: [] }
  const rows = p.detections.map((d) => ({
    alert: d.alertname,
    severity: d.severity,
    fault: d.fault ? `${d.fault} (#${d.faultIndex})` : '–',
    firedAt: sec(d.firedAt),
    timeToDetect: d.timeToDetectSeconds === undefined ? '–' : signed(d.timeToDetectSeconds),
    resolvedAt: d.resolvedAt === undefined ? 'still firing' : sec(d.resolvedAt),
    timeToResolve: d.timeToResolveSeconds === undefined ? '–' : signed(d.timeToResolveSeconds),
    verdict: d.falseAlarm ? ('false alarm' as const) : ('detected' as const),
  }))
  const fired = new Set(p.detections.map((d) => d.alertname))
  const silent = [...new Set(p.alerts.map((a) => a.alert))].filter((a) => !fired.has(a))
  return { rows, silent }
}
