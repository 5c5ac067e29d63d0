import { describe, expect, it } from 'vitest'
import type { Series } from '../record.ts'
import {
  createHistogram,
  decodeHistogram,
  encodeHistogram,
  mergeEncoded,
  percentileMs,
  recordMs,
  seriesWindow,
} from './histogram.ts'

function encodedOf(valuesMs: number[]): string {
  const h = createHistogram()
  for (const v of valuesMs) recordMs(h, v)
  return encodeHistogram(h)
}

describe('histogram', () => {
  it('round-trips through the compressed base64 encoding with µs resolution', () => {
    const h = createHistogram()
    recordMs(h, 1.234)
    recordMs(h, 20)
    const back = decodeHistogram(encodeHistogram(h))
    expect(back.totalCount).toBe(2)
    expect(back.minNonZeroValue).toBeGreaterThanOrEqual(1233)
    expect(back.minNonZeroValue).toBeLessThanOrEqual(1235)
    expect(percentileMs(back, 100)).toBeCloseTo(20, 1)
  })

  it('merges encoded histograms so percentiles cover every input', () => {
    const a = encodedOf(Array.from({ length: 99 }, () => 10))
    const b = encodedOf([1000])
    const m = mergeEncoded([a, '', b])
    expect(m.totalCount).toBe(100)
    expect(percentileMs(m, 50)).toBeCloseTo(10, 1)
    expect(percentileMs(m, 99.5)).toBeCloseTo(1000, -1)
  })

  it('returns NaN for a percentile of an empty histogram', () => {
    expect(percentileMs(createHistogram(), 99)).toBeNaN()
  })

  it('keeps values beyond the initial range (auto-resize)', () => {
    const h = createHistogram()
    recordMs(h, 3_600_000)
    expect(percentileMs(decodeHistogram(encodeHistogram(h)), 100)).toBeGreaterThan(3_590_000)
  })

  it('merges a series window by second start, corrected or uncorrected', () => {
    const series: Series = {
      metric: 'rs_request',
      tags: { flow: 'api-call', endpoint: '/api', status: '200' },
      failed: false,
      buckets: [0, 1, 2, 3].map((s) => ({
        s,
        count: 10,
        latency: encodedOf(Array(10).fill(100 * (s + 1))),
        latencyUncorrected: encodedOf(Array(10).fill(5)),
      })),
    }
    const w = seriesWindow(series, 1000, 3000)
    expect(w.count).toBe(20)
    expect(w.histogram.totalCount).toBe(20)
    expect(percentileMs(w.histogram, 0)).toBeCloseTo(200, -1)
    expect(percentileMs(w.histogram, 100)).toBeCloseTo(300, -1)
    const u = seriesWindow([series, series], 0, 10_000, 'uncorrected')
    expect(u.count).toBe(80)
    expect(percentileMs(u.histogram, 99)).toBeCloseTo(5, 1)
  })
})
