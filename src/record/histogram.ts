/**
 * Latency histograms shared by both load engines, the SLO engine and the
 * reporters: HdrHistogram (Gil Tene's design, as wrk2 and k6 use it) with
 * microsecond values and 3 significant digits, so every bucket of every
 * second costs a few hundred bytes whatever the request count.
 *
 * The pure-JS build is used on purpose: the WASM build must be initialised
 * per thread and its memory is never returned, which a worker-thread engine
 * that creates thousands of per-second histograms cannot afford.
 */
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js'
import type { Series } from './schema.ts'

export type { Histogram }

/** Highest value tracked without resizing: 10 minutes in µs (auto-resize covers the rest). */
const HIGHEST_US = 600_000_000

/**
 * A new, empty latency histogram in microseconds.
 *
 * @example
 * const h = createHistogram(); h.recordValue(20_000) // 20 ms
 */
export function createHistogram(): Histogram {
  return build({
    bitBucketSize: 32,
    numberOfSignificantValueDigits: 3,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    autoResize: true,
    useWebAssembly: false,
  })
}

/**
 * Record a latency given in milliseconds (fractions allowed) as microseconds.
 *
 * @example recordMs(h, 12.345) // records 12 345 µs
 */
export function recordMs(h: Histogram, ms: number): void {
  const us = Math.max(1, Math.round(ms * 1000))
  h.recordValue(us)
}

/**
 * Encode a histogram as compressed base64 (the `SecondBucket.latency` format).
 *
 * @example const s = encodeHistogram(h)
 */
export function encodeHistogram(h: Histogram): string {
  return encodeIntoCompressedBase64(h)
}

/**
 * Decode a compressed base64 histogram.
 *
 * @example decodeHistogram(bucket.latency).totalCount
 */
export function decodeHistogram(s: string): Histogram {
  return decodeFromCompressedBase64(s, 32, false)
}

/**
 * Merge encoded histograms into one new histogram (empty strings are skipped).
 *
 * @example percentileMs(mergeEncoded(series.buckets.map((b) => b.latency)), 99)
 */
export function mergeEncoded(list: readonly string[]): Histogram {
  const out = createHistogram()
  for (const s of list) {
    if (!s) continue
    out.add(decodeHistogram(s))
  }
  return out
}

/**
 * The value at percentile `p` (0–100, e.g. 99 or 99.9) in milliseconds; `NaN` on an empty histogram.
 *
 * @example percentileMs(h, 95) // 23.1
 */
export function percentileMs(h: Histogram, p: number): number {
  if (h.totalCount === 0) return Number.NaN
  return h.getValueAtPercentile(p) / 1000
}

/** What {@link seriesWindow} returns. */
export interface WindowStats {
  /** Requests in the window. */
  count: number
  /** Merged latency histogram (µs). */
  histogram: Histogram
}

/**
 * Merge the buckets of one or more series whose second starts in
 * `[fromMs, toMs)` (ms since t0). `basis` picks the corrected latency
 * (intended start, the default) or the uncorrected one (actual send).
 *
 * @example
 * const { count, histogram } = seriesWindow(series, 5_000, 30_000)
 * percentileMs(histogram, 99)
 */
export function seriesWindow(
  series: Series | readonly Series[],
  fromMs: number,
  toMs: number,
  basis: 'corrected' | 'uncorrected' = 'corrected',
): WindowStats {
  const list = Array.isArray(series) ? (series as readonly Series[]) : [series as Series]
  const histogram = createHistogram()
  let count = 0
  for (const s of list) {
    for (const b of s.buckets) {
      const start = b.s * 1000
      if (start < fromMs || start >= toMs) continue
      count += b.count
      const enc = basis === 'corrected' ? b.latency : b.latencyUncorrected
      if (enc) histogram.add(decodeHistogram(enc))
    }
  }
  return { count, histogram }
}
