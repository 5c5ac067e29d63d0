import { describe, expect, it } from 'vitest'
import { decodeHistogram, percentileMs } from './histogram.ts'
import { Recorder } from './recorder.ts'

const tags = { flow: 'api-call', endpoint: 'api', status: '200', target: 'orders' }

describe('Recorder', () => {
  it('buckets requests by the second of their intended start, corrected and uncorrected', () => {
    const r = new Recorder(10_000)
    // intended at 0.5 s, sent 300 ms late, answered 10 ms after the send
    r.record('rs_request', tags, 10_500, 10_800, 10_810, false)
    r.record('rs_request', tags, 11_200, 11_200, 11_205, false)
    const { series } = r.result()
    expect(series).toHaveLength(1)
    const [b0, b1] = series[0]!.buckets
    expect(b0!.s).toBe(0)
    expect(percentileMs(decodeHistogram(b0!.latency), 50)).toBeCloseTo(310, 0)
    expect(percentileMs(decodeHistogram(b0!.latencyUncorrected), 50)).toBeCloseTo(10, 1)
    expect(b1!.s).toBe(1)
    expect(b1!.count).toBe(1)
  })

  it('never reports a corrected latency below the send-to-end time when a batched send went early', () => {
    const r = new Recorder(0)
    // intended at 100 ms, sent 0.8 ms early by a batched wake-up, answered 20 ms after the send
    r.record('rs_request', tags, 100, 99.2, 119.2, false)
    const b = r.result().series[0]!.buckets[0]!
    expect(percentileMs(decodeHistogram(b.latency), 50)).toBeCloseTo(20, 1)
    expect(percentileMs(decodeHistogram(b.latencyUncorrected), 50)).toBeCloseTo(20, 1)
  })

  it('keeps series apart whatever the raw tag values and key order', () => {
    const r = new Recorder(0)
    r.record('rs_request', { ...tags, reason: 'x|error=y' }, 10, 10, 20, true)
    r.record('rs_request', { ...tags, reason: 'x', error: 'y' }, 10, 10, 20, true)
    r.record('rs_request', { error: 'y', reason: 'x', ...tags }, 10, 10, 20, true)
    const { series } = r.result()
    expect(series.map((x) => [x.tags.reason, x.tags.error, x.buckets[0]!.count])).toEqual([
      ['other', undefined, 1],
      ['x', 'y', 2],
    ])
  })

  it('separates series by tags and failure and drops setup traffic before t0', () => {
    const r = new Recorder(0)
    r.record('rs_request', tags, 10, 10, 20, false)
    r.record('rs_request', { ...tags, status: '401', reason: 'unknown_kid' }, 10, 10, 20, true)
    r.record('oauth_token', { flow: 'api-call', endpoint: 'token', status: '200', grant: 'client_credentials' }, -5, -5, 1, false)
    const { series } = r.result()
    expect(series.map((s) => [s.metric, s.tags.status, s.failed])).toEqual([
      ['rs_request', '200', false],
      ['rs_request', '401', true],
    ])
  })

  it('bounds tag values so a hostile error_description cannot create unbounded series', () => {
    const r = new Recorder(0)
    for (let i = 0; i < 50; i++) r.record('rs_request', { ...tags, status: '401', reason: `bad reason with spaces ${i}` }, 1, 1, 2, true)
    const { series } = r.result()
    expect(series).toHaveLength(1)
    expect(series[0]!.tags.reason).toBe('other')
  })

  it('encodes old seconds on flush and folds late requests into them', () => {
    const r = new Recorder(0, 2)
    r.record('rs_request', tags, 100, 100, 150, false)
    r.flush(10_000)
    // a request intended in second 0 that only completes now
    r.record('rs_request', tags, 900, 900, 9_900, false)
    const b = r.result().series[0]!.buckets
    expect(b).toHaveLength(1)
    expect(b[0]!.count).toBe(2)
    expect(percentileMs(decodeHistogram(b[0]!.latency), 100)).toBeCloseTo(9000, -1)
  })

  it('keeps counters per second and reports the live window for progress', () => {
    const r = new Recorder(0)
    r.count('dropped_iterations', { flow: 'x' }, 1, 100)
    r.count('dropped_iterations', { flow: 'x' }, 2, 900)
    r.count('dropped_iterations', { flow: 'x' }, 1, 1500)
    r.record('rs_request', tags, 1, 1, 21, true)
    const w = r.takeWindow()
    expect(w.count).toBe(1)
    expect(w.failed).toBe(1)
    expect(r.takeWindow().count).toBe(0)
    expect(r.result().counters).toEqual([{ name: 'dropped_iterations', tags: { flow: 'x' }, values: [{ s: 0, value: 3 }, { s: 1, value: 1 }] }])
  })
})
