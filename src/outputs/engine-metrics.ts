/**
 * The engine's own metrics, cumulative, built from what both engines already
 * stream to the runner: the per-second series and counters of each progress
 * message (a second sent again replaces the one before, so only the change is
 * added) and, at the end, the load result (the seconds k6 wrote after its last
 * progress). Request counts come with the count of each second; latency comes
 * with the second's histogram, a couple of seconds later, so a histogram's
 * `_count` catches up with the request counter by the end of the run.
 */
import { decodeHistogram } from '../record/histogram.ts'
import type { CounterSeries, LoadResult, Series } from '../record/index.ts'
import { type HistogramSeries, LATENCY_BUCKETS_SECONDS, type MetricsSnapshot, type ScalarSeries } from './types.ts'
const BOUNDS_US = LATENCY_BUCKETS_SECONDS.map((s) => s * 1e6)

/** Engine counters that are levels, not counts. */
const GAUGES = new Set(['vus'])

interface SecondSeen {
  count: number
  /** Count of the histogram folded in, its per-bucket counts (not cumulative) and sum (µs). */
  latencyCount: number
  buckets: number[] | undefined
  sumUs: number
}

interface ReqState {
  name: string
  labels: Record<string, string>
  total: number
  buckets: number[]
  sumUs: number
  count: number
  seconds: Map<number, SecondSeen>
}

interface CounterState {
  name: string
  kind: 'counter' | 'gauge'
  labels: Record<string, string>
  total: number
  last: { s: number; value: number } | undefined
  seconds: Map<number, number>
}

type JsIterable = {
  recordedValuesIterator: {
    reset(): void
    hasNext(): boolean
    next(): { valueIteratedTo: number; countAtValueIteratedTo: number }
  }
}

/** Per-bucket counts (not cumulative, +Inf last) and the sum (µs) of an encoded histogram. */
function bucketsOf(encoded: string): { buckets: number[]; sumUs: number; count: number } {
  const h = decodeHistogram(encoded)
  const buckets = new Array<number>(BOUNDS_US.length + 1).fill(0)
  let sumUs = 0
  let count = 0
  const it = (h as unknown as JsIterable).recordedValuesIterator
  it.reset()
  while (it.hasNext()) {
    const v = it.next()
    const n = v.countAtValueIteratedTo
    let i = 0
    while (i < BOUNDS_US.length && v.valueIteratedTo > BOUNDS_US[i]!) i++
    buckets[i]! += n
    sumUs += v.valueIteratedTo * n
    count += n
  }
  return { buckets, sumUs, count }
}

function labelsOf(s: Series): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(s.tags)) if (v !== undefined) out[k] = v
  out.failed = s.failed ? 'true' : 'false'
  return out
}

function keyOf(name: string, labels: Record<string, string>): string {
  return `${name}|${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]!.length}:${labels[k]}`)
    .join('|')}`
}

/**
 * Cumulative request counts, latency histograms and engine counters of one run.
 *
 * @example
 * const m = new EngineMetrics()
 * m.add(progress) // each progress message
 * m.addResult(loadResult) // at the end
 * m.snapshot(Date.now()).scalars.find((s) => s.name === 'rs_request_reqs')
 */
export class EngineMetrics {
  readonly #reqs = new Map<string, ReqState>()
  readonly #counters = new Map<string, CounterState>()

  /** Fold in the seconds of one progress message (whole seconds: only what changed is added). */
  add(p: { series?: readonly Series[]; counters?: readonly CounterSeries[] }): void {
    for (const s of p.series ?? []) this.#series(s)
    for (const c of p.counters ?? []) this.#counter(c)
  }

  /** Fold in the final result: every second, so nothing the progress missed is lost. */
  addResult(r: Pick<LoadResult, 'series' | 'counters'>): void {
    this.add(r)
  }

  #series(s: Series): void {
    const labels = labelsOf(s)
    const name = `${s.metric}_reqs`
    const key = keyOf(name, labels)
    let st = this.#reqs.get(key)
    if (!st) {
      st = {
        name,
        labels,
        total: 0,
        buckets: new Array<number>(BOUNDS_US.length + 1).fill(0),
        sumUs: 0,
        count: 0,
        seconds: new Map(),
      }
      this.#reqs.set(key, st)
    }
    for (const b of s.buckets) {
      let seen = st.seconds.get(b.s)
      if (!seen) {
        seen = { count: 0, latencyCount: 0, buckets: undefined, sumUs: 0 }
        st.seconds.set(b.s, seen)
      }
      if (b.count > seen.count) {
        st.total += b.count - seen.count
        seen.count = b.count
      }
      if (!b.latency || b.count === seen.latencyCount) continue
      const now = bucketsOf(b.latency)
      for (let i = 0; i < now.buckets.length; i++) st.buckets[i]! += now.buckets[i]! - (seen.buckets?.[i] ?? 0)
      st.sumUs += now.sumUs - seen.sumUs
      st.count += now.count - seen.latencyCount
      seen.buckets = now.buckets
      seen.sumUs = now.sumUs
      seen.latencyCount = now.count
    }
  }

  #counter(c: CounterSeries): void {
    const key = keyOf(c.name, c.tags)
    let st = this.#counters.get(key)
    if (!st) {
      st = {
        name: c.name,
        kind: GAUGES.has(c.name) ? 'gauge' : 'counter',
        labels: { ...c.tags },
        total: 0,
        last: undefined,
        seconds: new Map(),
      }
      this.#counters.set(key, st)
    }
    for (const v of c.values) {
      if (st.kind === 'gauge') {
        if (!st.last || v.s >= st.last.s) st.last = { s: v.s, value: v.value }
        continue
      }
      st.total += v.value - (st.seconds.get(v.s) ?? 0)
      st.seconds.set(v.s, v.value)
    }
  }

  /** Everything so far, cumulative. */
  snapshot(at: number): MetricsSnapshot {
    const scalars: ScalarSeries[] = []
    const histograms: HistogramSeries[] = []
    for (const st of this.#reqs.values()) {
      scalars.push({ name: st.name, kind: 'counter', labels: st.labels, value: st.total })
      let run = 0
      histograms.push({
        name: st.name.replace(/_reqs$/, '_duration'),
        labels: st.labels,
        buckets: st.buckets.map((n) => (run += n)),
        sum: st.sumUs / 1e6,
        count: st.count,
      })
    }
    for (const st of this.#counters.values())
      scalars.push({
        name: st.name,
        kind: st.kind,
        labels: st.labels,
        value: st.kind === 'gauge' ? (st.last?.value ?? 0) : st.total,
      })
    return { at, scalars, histograms }
  }
}
