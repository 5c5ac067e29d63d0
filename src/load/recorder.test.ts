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
    r.record(
      'oauth_token',
      { flow: 'api-call', endpoint: 'token', status: '200', grant: 'client_credentials' },
      -5,
      -5,
      1,
      false,
    )
    const { series } = r.result()
    expect(series.map((s) => [s.metric, s.tags.status, s.failed])).toEqual([
      ['rs_request', '200', false],
      ['rs_request', '401', true],
    ])
  })

  it('records through a handle and a counter handle into the same series and counters as record() and count()', () => {
    const r = new Recorder(1000)
    const ok = r.handle('rs_request', { endpoint: 'api', status: '200', target: 'orders', flow: 'api-call' }, false)
    const iterations = r.counter('iterations', { flow: 'api-call' })
    r.record('rs_request', tags, 1100, 1100, 1110, false)
    ok.record(1200, 1200, 1230)
    ok.record(2100, 2100, 2105)
    ok.record(900, 900, 905) // before t0: setup traffic, not kept
    r.count('iterations', { flow: 'api-call' }, 1, 1100)
    iterations.add(2, 1200)
    iterations.add(1, 2100)
    const { series, counters } = r.result()
    expect(series).toHaveLength(1)
    expect(series[0]!.buckets.map((b) => [b.s, b.count])).toEqual([
      [0, 2],
      [1, 1],
    ])
    expect(percentileMs(decodeHistogram(series[0]!.buckets[0]!.latency), 100)).toBeCloseTo(30, 1)
    expect(counters).toEqual([
      {
        name: 'iterations',
        tags: { flow: 'api-call' },
        values: [
          { s: 0, value: 3 },
          { s: 1, value: 1 },
        ],
      },
    ])
  })

  it('bounds tag values so a hostile error_description cannot create unbounded series', () => {
    const r = new Recorder(0)
    for (let i = 0; i < 50; i++)
      r.record('rs_request', { ...tags, status: '401', reason: `bad reason with spaces ${i}` }, 1, 1, 2, true)
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
    expect(r.result().counters).toEqual([
      {
        name: 'dropped_iterations',
        tags: { flow: 'x' },
        values: [
          { s: 0, value: 3 },
          { s: 1, value: 1 },
        ],
      },
    ])
  })

  it('hands out each second once it is over, its latency once it has settled, and again only when it changed', () => {
    const r = new Recorder(0)
    const shape = (c: ReturnType<Recorder['takeChanges']>) =>
      c.series.map((x) => [
        x.failed,
        x.buckets.map((b) => [b.s, b.count, b.latency ? decodeHistogram(b.latency).totalCount : '-']),
      ])
    r.record('rs_request', tags, 100, 100, 120, false)
    r.record('rs_request', tags, 1_100, 1_100, 1_130, false)
    r.count('iterations', { flow: 'api-call' }, 1, 100)
    // at 1.5 s only second 0 is over: its count, no latency yet
    const first = r.takeChanges(1_500)
    expect(shape(first)).toEqual([[false, [[0, 1, '-']]]])
    expect(first.series[0]!.buckets[0]!.latencyUncorrected).toBe('')
    expect(first.counters).toEqual([{ name: 'iterations', tags: { flow: 'api-call' }, values: [{ s: 0, value: 1 }] }])
    expect(shape(r.takeChanges(2_100))).toEqual([[false, [[1, 1, '-']]]])
    expect(r.takeChanges(2_200)).toEqual({ series: [], counters: [] })
    // two seconds later second 0 has settled: it comes again with its latency
    expect(shape(r.takeChanges(3_100))).toEqual([[false, [[0, 1, 1]]]])
    // a slow request of second 0 completes: second 0 comes again, whole
    r.record('rs_request', tags, 900, 900, 3_300, false)
    r.record('rs_request', tags, 2_100, 2_100, 2_150, true)
    const again = r.takeChanges(3_400)
    expect(shape(again)).toEqual([
      [false, [[0, 2, 2]]],
      [true, [[2, 1, '-']]],
    ])
    expect(percentileMs(decodeHistogram(again.series[0]!.buckets[0]!.latency), 100)).toBeCloseTo(2_400, -1)
    // the last call takes the rest, every second with its latency
    expect(shape(r.takeChanges(Number.POSITIVE_INFINITY))).toEqual([
      [false, [[1, 1, 1]]],
      [true, [[2, 1, 1]]],
    ])
  })

  it('sends a second flushed before it was taken and a late request folded into an encoded second', () => {
    const r = new Recorder(0, 2)
    r.record('rs_request', tags, 100, 100, 150, false)
    r.flush(10_000)
    const flushed = r.takeChanges(10_000).series[0]!.buckets
    expect(flushed.map((b) => [b.s, b.count])).toEqual([[0, 1]])
    expect(decodeHistogram(flushed[0]!.latency).totalCount).toBe(1)
    r.record('rs_request', tags, 900, 900, 9_900, false)
    const late = r.takeChanges(10_000).series[0]!.buckets
    expect(late.map((b) => [b.s, b.count])).toEqual([[0, 2]])
    expect(decodeHistogram(late[0]!.latency).totalCount).toBe(2)
    expect(r.takeChanges(10_000).series).toEqual([])
  })
})
