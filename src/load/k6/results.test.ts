import { describe, expect, it } from 'vitest'
import { mergeEncoded, percentileMs } from '../histogram.ts'
import { K6ResultCollector, parseK6Line } from './results.ts'

// Lines in the format the k6 docs define for `--out json` (results-output/real-time/json).
const T0 = Date.parse('2026-11-27T10:00:00.000Z')
const point = (metric: string, iso: string, value: number, tags: Record<string, string> | null) =>
  JSON.stringify({ type: 'Point', data: { time: iso, value, tags }, metric })

describe('parseK6Line', () => {
  it('reads a documented Point line with nanosecond time and offset', () => {
    const p = parseK6Line(
      '{"type":"Point","data":{"time":"2017-05-09T14:34:45.239531499+02:00","value":459.865729,"tags":{"method":"GET","status":"200"}},"metric":"http_req_duration"}',
    )
    expect(p).toEqual({
      metric: 'http_req_duration',
      time: Date.parse('2017-05-09T12:34:45.239Z'),
      value: 459.865729,
      tags: { method: 'GET', status: '200' },
    })
  })

  it('skips Metric declarations and blank lines', () => {
    expect(
      parseK6Line(
        '{"type":"Metric","data":{"type":"gauge","contains":"default","tainted":null,"thresholds":[],"submetrics":null},"metric":"vus"}',
      ),
    ).toBeNull()
    expect(parseK6Line('   ')).toBeNull()
  })

  it('treats null tags as empty', () => {
    expect(parseK6Line(point('vus', '2026-11-27T10:00:00.5Z', 5, null))?.tags).toEqual({})
  })

  it('refuses lines that are not k6 output', () => {
    expect(() => parseK6Line('{"hello":1}')).toThrow(/not a k6 JSON output line/)
    expect(() => parseK6Line('not json')).toThrow()
  })
})

describe('K6ResultCollector', () => {
  it('folds points into per-second series keyed by family, tags and failure', () => {
    const c = new K6ResultCollector(T0)
    const ok = {
      flow: 'client-credentials',
      endpoint: 'token',
      status: '200',
      grant: 'client_credentials',
      failed: 'false',
      scenario: 'client-credentials',
    }
    for (let i = 0; i < 100; i++)
      c.add(
        parseK6Line(
          point('oauth_token_duration', `2026-11-27T10:00:00.${String(i * 9).padStart(3, '0')}Z`, i + 1, ok),
        )!,
      )
    c.add(
      parseK6Line(
        point('oauth_token_duration', '2026-11-27T10:00:01.100Z', 50, {
          ...ok,
          status: '503',
          failed: 'true',
          error: 'temporarily_unavailable',
        }),
      )!,
    )
    c.add(parseK6Line(point('oauth_token_failed', '2026-11-27T10:00:01.100Z', 1, ok))!)
    c.add(parseK6Line(point('dropped_iterations', '2026-11-27T10:00:01.200Z', 1, { scenario: 'client-credentials' }))!)
    c.add(parseK6Line(point('dropped_iterations', '2026-11-27T10:00:01.300Z', 1, { scenario: 'client-credentials' }))!)
    c.add(parseK6Line(point('http_req_duration', '2026-11-27T10:00:01.300Z', 3, { status: '200' }))!)

    const series = c.series()
    expect(series).toHaveLength(2)
    const good = series.find((s) => !s.failed)!
    expect(good.metric).toBe('oauth_token')
    expect(good.tags).toEqual({
      flow: 'client-credentials',
      endpoint: 'token',
      status: '200',
      grant: 'client_credentials',
    })
    expect(good.buckets.map((b) => [b.s, b.count])).toEqual([[0, 100]])
    const h = mergeEncoded(good.buckets.map((b) => b.latency))
    expect(percentileMs(h, 50)).toBeCloseTo(50, 0)
    expect(percentileMs(h, 99)).toBeCloseTo(99, 0)
    const bad = series.find((s) => s.failed)!
    expect(bad.tags).toMatchObject({ status: '503', error: 'temporarily_unavailable' })
    expect(bad.buckets).toEqual([expect.objectContaining({ s: 1, count: 1 })])
    expect(c.counters()).toEqual([
      { name: 'dropped_iterations', tags: { flow: 'client-credentials' }, values: [{ s: 1, value: 2 }] },
    ])
    expect(c.secondStats(1)).toEqual({ count: 1, failed: 1, dropped: 2 })
  })

  it('streams the seconds that changed, each whole, with its latency once settled', () => {
    const c = new K6ResultCollector(T0)
    const ok = {
      flow: 'client-credentials',
      endpoint: 'token',
      status: '200',
      grant: 'client_credentials',
      failed: 'false',
      scenario: 'client-credentials',
    }
    const at = (ms: number) => new Date(T0 + ms).toISOString()
    c.add(parseK6Line(point('oauth_token_duration', at(100), 20, ok))!)
    c.add(parseK6Line(point('dropped_iterations', at(200), 1, { scenario: 'client-credentials' }))!)
    c.add(parseK6Line(point('oauth_token_duration', at(1_100), 30, ok))!)
    const shape = (x: ReturnType<K6ResultCollector['takeChanges']>) =>
      x.series.map((s) => s.buckets.map((b) => [b.s, b.count, b.latency ? mergeEncoded([b.latency]).totalCount : '-']))
    const first = c.takeChanges(1)
    expect(shape(first)).toEqual([[[0, 1, '-']]])
    expect(first.counters).toEqual([
      { name: 'dropped_iterations', tags: { flow: 'client-credentials' }, values: [{ s: 0, value: 1 }] },
    ])
    // a point of second 0 written late: second 0 again, whole
    c.add(parseK6Line(point('oauth_token_duration', at(900), 25, ok))!)
    expect(shape(c.takeChanges(2))).toEqual([
      [
        [0, 2, '-'],
        [1, 1, '-'],
      ],
    ])
    expect(c.takeChanges(2)).toEqual({ series: [], counters: [] })
    expect(shape(c.takeChanges(3))).toEqual([[[0, 2, 2]]])
    expect(shape(c.takeChanges(Number.POSITIVE_INFINITY))).toEqual([[[1, 1, 1]]])
  })
})
