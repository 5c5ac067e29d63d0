import { describe, expect, it } from 'vitest'
import { createHistogram, encodeHistogram, recordMs } from '../record/histogram.ts'
import type { Series } from '../record/index.ts'
import { EngineMetrics } from './engine-metrics.ts'

const tags = { flow: 'api', endpoint: 'api', status: '200', target: 'orders' }

function second(s: number, ms: number[], withLatency = true): Series['buckets'][number] {
  const h = createHistogram()
  for (const m of ms) recordMs(h, m)
  return { s, count: ms.length, latency: withLatency ? encodeHistogram(h) : '', latencyUncorrected: '' }
}

const series = (buckets: Series['buckets'], failed = false, extra: Record<string, string> = {}): Series => ({
  metric: 'rs_request',
  tags: { ...tags, ...extra },
  failed,
  buckets,
})

describe('EngineMetrics', () => {
  it('adds only what changed when a second is sent again, so totals equal the record', () => {
    const m = new EngineMetrics()
    m.add({ series: [series([second(0, [5, 6, 7], false)])] })
    m.add({ series: [series([second(0, [5, 6, 7, 8]), second(1, [20, 400])])] })
    m.add({ series: [series([second(0, [5, 6, 7, 8])])] })
    const snap = m.snapshot(1)
    const reqs = snap.scalars.find((s) => s.name === 'rs_request_reqs')!
    expect(reqs).toMatchObject({ kind: 'counter', value: 6, labels: { ...tags, failed: 'false' } })
    const h = snap.histograms.find((x) => x.name === 'rs_request_duration')!
    expect(h.count).toBe(6)
    // cumulative: ≤ 10 ms holds 4 (bounds 0.001 … 0.01 are indexes 0–3), ≤ 25 ms 5, ≤ 0.5 s all 6
    expect(h.buckets[3]).toBe(4)
    expect(h.buckets[4]).toBe(5)
    expect(h.buckets[9]).toBe(6)
    expect(h.buckets.at(-1)).toBe(6)
    expect(h.sum).toBeCloseTo((5 + 6 + 7 + 8 + 20 + 400) / 1000, 2)
  })

  it('keeps failed requests apart, with their reason', () => {
    const m = new EngineMetrics()
    m.add({
      series: [series([second(0, [5])]), series([second(0, [3, 3])], true, { status: '401', reason: 'unknown_kid' })],
    })
    const failed = m.snapshot(1).scalars.find((s) => s.labels.failed === 'true')!
    expect(failed).toMatchObject({ value: 2, labels: { reason: 'unknown_kid', status: '401' } })
  })

  it('takes the final result without counting a second twice', () => {
    const m = new EngineMetrics()
    const b0 = second(0, [5, 5])
    m.add({
      series: [series([b0])],
      counters: [{ name: 'iterations', tags: { flow: 'api' }, values: [{ s: 0, value: 2 }] }],
    })
    m.addResult({
      series: [series([b0, second(1, [9])])],
      counters: [
        {
          name: 'iterations',
          tags: { flow: 'api' },
          values: [
            { s: 0, value: 2 },
            { s: 1, value: 1 },
          ],
        },
      ],
    })
    const snap = m.snapshot(2)
    expect(snap.scalars.find((s) => s.name === 'rs_request_reqs')!.value).toBe(3)
    expect(snap.scalars.find((s) => s.name === 'iterations')).toMatchObject({ kind: 'counter', value: 3 })
    expect(snap.histograms[0]!.count).toBe(3)
  })

  it('reports vus as a gauge at its latest second', () => {
    const m = new EngineMetrics()
    m.add({
      counters: [
        {
          name: 'vus',
          tags: {},
          values: [
            { s: 0, value: 4 },
            { s: 1, value: 9 },
          ],
        },
      ],
    })
    m.add({ counters: [{ name: 'vus', tags: {}, values: [{ s: 2, value: 3 }] }] })
    expect(m.snapshot(3).scalars).toEqual([{ name: 'vus', kind: 'gauge', labels: {}, value: 3 }])
  })
})
