/**
 * Shared readers for the SLO indicators: windowed request counts by outcome,
 * merged latency histograms, and probe results. Everything reads the
 * RunRecord only, so scoring never knows which engine produced it.
 */
import { percentileMs, seriesWindow } from '../record/histogram.ts'
import type { MetricFamily, ProbeResult, RunRecord, Series } from '../record/index.ts'
import type { IndicatorValue } from './types.ts'
import type { Threshold } from './threshold.ts'

/** A bucket belongs to a window when its second starts inside `[from, to)`. */
export function inWindow(s: number, window: [number, number]): boolean {
  const start = s * 1000
  return start >= window[0] && start < window[1]
}

/** Series of the given families, optionally restricted to one resource server. */
export function seriesOf(record: RunRecord, families: readonly MetricFamily[], target?: string): Series[] {
  return record.load.series.filter(
    (s) =>
      families.includes(s.metric) && (target === undefined || s.tags.target === undefined || s.tags.target === target),
  )
}

/** The key used to explain a failure: reason, else OAuth error, else status. */
export function failureKey(s: Series): string {
  return s.tags.reason ?? s.tags.error ?? (s.tags.status === '0' ? 'transport_error' : `status_${s.tags.status}`)
}

/**
 * A good/total rate over the window. `isBad` decides which series count as
 * bad (default: failed); breakdown maps failure key → bad count. Value is the
 * good share, or the bad share when `badShare` is set; null with no traffic.
 */
export function rateIndicator(
  series: readonly Series[],
  window: [number, number],
  opts: { isBad?: (s: Series) => boolean; badShare?: boolean; threshold?: Threshold } = {},
): IndicatorValue {
  const isBad = opts.isBad ?? ((s: Series) => s.failed)
  let total = 0
  let bad = 0
  const breakdown: Record<string, number> = {}
  for (const s of series) {
    let n = 0
    for (const b of s.buckets) if (inWindow(b.s, window)) n += b.count
    if (n === 0) continue
    total += n
    if (isBad(s)) {
      bad += n
      const k = failureKey(s)
      breakdown[k] = (breakdown[k] ?? 0) + n
    }
  }
  if (total === 0) return { value: null, good: 0, total: 0, breakdown }
  // a rate SLO may be written as `count==0` (bad requests), which reads the bad count
  if (opts.threshold?.aggregate === 'count') return { value: bad, good: total - bad, total, breakdown }
  return { value: opts.badShare ? bad / total : (total - bad) / total, good: total - bad, total, breakdown }
}

/** A latency aggregate (ms) over the window, from the corrected histograms. */
export function latencyIndicator(
  series: readonly Series[],
  window: [number, number],
  threshold?: Threshold,
): IndicatorValue {
  const { count, histogram } = seriesWindow(series, window[0], window[1], 'corrected')
  if (count === 0 || histogram.totalCount === 0) return { value: null, total: 0 }
  const t = threshold ?? { aggregate: 'p' as const, percentile: 95 }
  let value: number
  switch (t.aggregate) {
    case 'max':
      value = histogram.maxValue / 1000
      break
    case 'min':
      value = histogram.minNonZeroValue / 1000
      break
    case 'avg':
      value = histogram.mean / 1000
      break
    case 'med':
      value = percentileMs(histogram, 50)
      break
    case 'count':
      value = count
      break
    default:
      value = percentileMs(histogram, t.percentile ?? 95)
  }
  return {
    value,
    total: count,
    breakdown: {
      p50: percentileMs(histogram, 50),
      p95: percentileMs(histogram, 95),
      p99: percentileMs(histogram, 99),
      max: histogram.maxValue / 1000,
    },
  }
}

/** Probe results of one probe id overlapping the window. */
export function probesOf(record: RunRecord, probe: string, window: [number, number]): ProbeResult[] {
  return record.probes.filter((p) => p.probe === probe && p.endedAt >= window[0] && p.startedAt < window[1])
}

function toMs(v: number, unit: ProbeResult['unit']): number {
  return unit === 's' ? v * 1000 : v
}

/**
 * Max over resource servers of a probe's time measurement (ms). A probe that
 * timed out without a value proves the time exceeded its timeout: the SLO
 * fails with that lower bound. With `target`, the probe's breakdown entry
 * for that RS is used, and an RS the probe marks `<rs>.timedOut` fails.
 */
export function probeMaxMs(
  record: RunRecord,
  probe: string,
  window: [number, number],
  target?: string,
): IndicatorValue {
  const results = probesOf(record, probe, window)
  if (results.length === 0) return { value: null }
  let max: number | null = null
  const breakdown: Record<string, number> = {}
  let forceFail: string | undefined
  for (const r of results) {
    let v: number | null = null
    if (target !== undefined && r.breakdown && typeof r.breakdown[target] === 'number')
      v = r.breakdown[target] as number
    else if (typeof r.value === 'number') v = r.value
    if (v !== null) v = toMs(v, r.unit)
    if (r.breakdown)
      for (const [k, bv] of Object.entries(r.breakdown))
        if (typeof bv === 'number') breakdown[k] = Math.max(breakdown[k] ?? 0, toMs(bv, r.unit))
    if (v === null && r.status === 'timeout') {
      v = r.endedAt - r.startedAt
      forceFail = `${r.name || probe} did not complete within ${Math.round(v)}ms`
    } else if (v !== null && target !== undefined && r.breakdown?.[`${target}.timedOut`] === true) {
      // the RS's figure is only the time waited: a lower bound of something that never happened
      forceFail = `${r.name || probe}: ${target} did not complete within ${Math.round(v)}ms`
    }
    if (v !== null) max = max === null ? v : Math.max(max, v)
  }
  const out: IndicatorValue = { value: max, total: results.length, breakdown }
  if (forceFail) out.forceFail = forceFail
  return out
}

/** The key with the highest count, with its share of the total. */
export function topKey(
  breakdown: Record<string, number> | undefined,
): { key: string; count: number; share: number } | undefined {
  if (!breakdown) return undefined
  let best: [string, number] | undefined
  let sum = 0
  for (const [k, v] of Object.entries(breakdown).sort(([a], [b]) => a.localeCompare(b))) {
    sum += v
    if (!best || v > best[1]) best = [k, v]
  }
  if (!best || sum === 0) return undefined
  return { key: best[0], count: best[1], share: best[1] / sum }
}

/** Fault windows overlapping `window`, by fault id. */
export function faultsDuring(record: RunRecord, window: [number, number]): string[] {
  return record.faults
    .filter((f) => f.injectedAt < window[1] && (f.revertedAt ?? Number.POSITIVE_INFINITY) > window[0])
    .map((f) => f.fault)
}

/** `62% of 401s` — a short share phrase. */
export function pct(share: number): string {
  return `${Math.round(share * 100)}%`
}

type FlowEntry = { flow: string; name?: string; dpop?: boolean }

/**
 * The series names (`flow` tag) of the scenario's `dpop: true` flows. A
 * repeated flow id is numbered differently by the engines (embedded:
 * `api-call`, `api-call-2`; k6: `api-call-1`, `api-call-2`), so both are kept;
 * neither numbering can name another flow of the same id.
 *
 * @example dpopFlowNames(record) // Set { 'api-call', 'client-credentials' }
 */
export function dpopFlowNames(record: RunRecord): Set<string> {
  const flows = (record.scenario as { load?: { flows?: FlowEntry[] } } | undefined)?.load?.flows ?? []
  const total = new Map<string, number>()
  for (const f of flows) total.set(f.flow, (total.get(f.flow) ?? 0) + 1)
  const seen = new Map<string, number>()
  const out = new Set<string>()
  for (const f of flows) {
    const n = (seen.get(f.flow) ?? 0) + 1
    seen.set(f.flow, n)
    if (!f.dpop) continue
    if (f.name) out.add(f.name)
    else {
      out.add(n === 1 ? f.flow : `${f.flow}-${n}`)
      if ((total.get(f.flow) ?? 0) > 1) out.add(`${f.flow}-${n}`)
    }
  }
  return out
}
