/**
 * Per-second chart data for the HTML report, computed from the record:
 * request rate by family, latency p50/p95/p99 (corrected), errors by reason.
 * Shared by reporters that draw (`html`) and tests that check them.
 */
import { decodeHistogram, createHistogram, percentileMs } from '../load/histogram.ts'
import type { RunRecord } from '../record.ts'
import { failureKey } from '../slo/data.ts'

/** One chart: x = seconds since t0, one y array per named series (null = no data). */
export interface ChartData {
  id: string
  title: string
  unit: string
  x: number[]
  series: Array<{ label: string; values: Array<number | null> }>
}

const round = (v: number) => Math.round(v * 1000) / 1000

/** The three time charts of a run. */
export function timeCharts(record: RunRecord): ChartData[] {
  const maxBucket = record.load.series.reduce((m, s) => s.buckets.reduce((mm, b) => Math.max(mm, b.s + 1), m), 0)
  const n = Math.max(1, Math.ceil(record.load.durationMs / 1000), maxBucket)
  const x = Array.from({ length: n }, (_, i) => i)

  const byFamily = new Map<string, number[]>()
  const byReason = new Map<string, number[]>()
  const hists = Array.from({ length: n }, () => createHistogram())
  for (const s of record.load.series) {
    const fam = byFamily.get(s.metric) ?? new Array<number>(n).fill(0)
    byFamily.set(s.metric, fam)
    const key = s.failed ? failureKey(s) : undefined
    const err = key === undefined ? undefined : (byReason.get(key) ?? new Array<number>(n).fill(0))
    if (key !== undefined && err) byReason.set(key, err)
    for (const b of s.buckets) {
      if (b.s < 0 || b.s >= n) continue
      fam[b.s]! += b.count
      if (err) err[b.s]! += b.count
      if (b.latency) hists[b.s]!.add(decodeHistogram(b.latency))
    }
  }
  const sorted = <T>(m: Map<string, T>) => [...m.entries()].sort(([a], [b]) => a.localeCompare(b))
  const pct = (p: number) => hists.map((h) => (h.totalCount ? round(percentileMs(h, p)) : null))
  return [
    {
      id: 'rate',
      title: 'Request rate',
      unit: 'req/s',
      x,
      series: sorted(byFamily).map(([label, values]) => ({ label, values })),
    },
    {
      id: 'latency',
      title: 'Latency (from intended start)',
      unit: 'ms',
      x,
      series: [
        { label: 'p50', values: pct(50) },
        { label: 'p95', values: pct(95) },
        { label: 'p99', values: pct(99) },
      ],
    },
    {
      id: 'errors',
      title: 'Errors by reason',
      unit: 'req/s',
      x,
      series: byReason.size
        ? sorted(byReason).map(([label, values]) => ({ label, values }))
        : [{ label: 'errors', values: new Array<number>(n).fill(0) }],
    },
  ]
}
