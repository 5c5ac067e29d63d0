/**
 * Per-second chart data for the HTML report, computed from the record:
 * request rate by family, latency p50/p95/p99 (corrected) per family, each
 * chart in one unit (ms, or s for browser-scale latencies), errors by reason,
 * and a lane per resource server (accepted / rejected by reason). Shared by
 * reporters that draw (`html`) and tests that check them.
 */
import { decodeHistogram, createHistogram, percentileMs } from '../record/histogram.ts'
import type { RunRecord } from '../record/index.ts'
import { failureKey } from '../slo/data.ts'
import { rsLabel } from './per-rs.ts'

/** One chart: x = seconds since t0, one y array per named series (null = no data). */
export interface ChartData {
  id: string
  title: string
  unit: string
  x: number[]
  series: Array<{ label: string; values: Array<number | null> }>
}

const round = (v: number) => Math.round(v * 1000) / 1000

/** The time charts of a run: rate, latency per family, errors. */
export function timeCharts(record: RunRecord): ChartData[] {
  const maxBucket = record.load.series.reduce((m, s) => s.buckets.reduce((mm, b) => Math.max(mm, b.s + 1), m), 0)
  const n = Math.max(1, Math.ceil(record.load.durationMs / 1000), maxBucket)
  const x = Array.from({ length: n }, (_, i) => i)

  const byFamily = new Map<string, number[]>()
  const byReason = new Map<string, number[]>()
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
    }
  }
  const sorted = <T>(m: Map<string, T>) => [...m.entries()].sort(([a], [b]) => a.localeCompare(b))
  return [
    {
      id: 'rate',
      title: 'Request rate',
      unit: 'req/s',
      x,
      series: sorted(byFamily).map(([label, values]) => ({ label, values })),
    },
    ...latencyCharts(record, n, x),
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

/** One latency chart per metric family, in ms, or in s when its median is a second or more. */
function latencyCharts(record: RunRecord, n: number, x: number[]): ChartData[] {
  const families = [...new Set(record.load.series.map((s) => s.metric))].sort()
  const out: ChartData[] = []
  for (const family of families) {
    const hists = Array.from({ length: n }, () => createHistogram())
    const all = createHistogram()
    for (const s of record.load.series) {
      if (s.metric !== family) continue
      for (const b of s.buckets) {
        if (b.s < 0 || b.s >= n || !b.latency) continue
        const h = decodeHistogram(b.latency)
        hists[b.s]!.add(h)
        all.add(h)
      }
    }
    if (all.totalCount === 0) continue
    const seconds = percentileMs(all, 50) >= 1000
    const scale = seconds ? 1 / 1000 : 1
    const pct = (p: number) => hists.map((h) => (h.totalCount ? round(percentileMs(h, p) * scale) : null))
    out.push({
      id: `latency-${family}`,
      title: `Latency of ${family} (from intended start)`,
      unit: seconds ? 's' : 'ms',
      x,
      series: [
        { label: 'p50', values: pct(50) },
        { label: 'p95', values: pct(95) },
        { label: 'p99', values: pct(99) },
      ],
    })
  }
  return out
}

/**
 * A lane per resource server: valid-token requests accepted and rejected by
 * reason, per second (deliberate `revoked` / `attacker` traffic left out).
 *
 * @example rsLanes(record).map((l) => l.id) // ['rs-orders', 'rs-billing']
 */
export function rsLanes(record: RunRecord): Array<ChartData & { rs: string }> {
  const maxBucket = record.load.series.reduce((m, s) => s.buckets.reduce((mm, b) => Math.max(mm, b.s + 1), m), 0)
  const n = Math.max(1, Math.ceil(record.load.durationMs / 1000), maxBucket)
  const x = Array.from({ length: n }, (_, i) => i)
  return record.targets.resourceServers.map((rs) => {
    const accepted = new Array<number>(n).fill(0)
    const rejected = new Map<string, number[]>()
    for (const s of record.load.series) {
      if (
        s.metric !== 'rs_request' ||
        s.tags.target !== rs.name ||
        s.tags.token === 'revoked' ||
        s.tags.token === 'attacker'
      )
        continue
      const into = s.failed ? (rejected.get(failureKey(s)) ?? new Array<number>(n).fill(0)) : accepted
      if (s.failed) rejected.set(failureKey(s), into)
      for (const b of s.buckets) if (b.s >= 0 && b.s < n) into[b.s]! += b.count
    }
    const reasons = [...rejected.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([reason, values]) => ({ label: `rejected: ${reason}`, values }))
    return {
      id: `rs-${rs.name}`,
      rs: rs.name,
      title: `${rs.name} (${rsLabel(record, rs.name)}): accepted and rejected per second`,
      unit: 'req/s',
      x,
      series: [{ label: 'accepted', values: accepted }, ...reasons],
    }
  })
}
