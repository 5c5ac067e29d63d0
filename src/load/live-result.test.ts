import { describe, expect, it } from 'vitest'
import { buildRecord } from '../../test/fixtures/records/build.ts'
import type { RunRecord, SecondBucket, Series } from '../record.ts'
import type { SloEntry, SloWindowValue } from '../scenario/schema.ts'
import { resolveWindow, scoreRun } from '../slo/score.ts'
import { createHistogram, encodeHistogram, type Histogram, percentileMs, recordMs, seriesWindow } from './histogram.ts'
import { LiveLoad } from './live-result.ts'
import { Recorder } from './recorder.ts'

const ok = { flow: 'client-credentials', endpoint: 'token', status: '200', grant: 'client_credentials' }
const failed = { ...ok, status: '503' }

/** What an engine would stream: per-second histograms, sent whole each time a second changes. */
class FakeEngine {
  readonly raw = new Map<string, Map<number, Histogram>>()
  #changed = new Map<string, Set<number>>()

  record(key: 'ok' | 'failed', s: number, ms: number): void {
    const byS = this.raw.get(key) ?? new Map<number, Histogram>()
    this.raw.set(key, byS)
    const h = byS.get(s) ?? createHistogram()
    byS.set(s, h)
    recordMs(h, ms)
    const c = this.#changed.get(key) ?? new Set<number>()
    this.#changed.set(key, c)
    c.add(s)
  }

  #series(key: string, seconds: Iterable<number>): Series {
    const byS = this.raw.get(key)!
    const buckets: SecondBucket[] = [...seconds]
      .sort((a, b) => a - b)
      .map((s) => ({ s, count: byS.get(s)!.totalCount, latency: encodeHistogram(byS.get(s)!), latencyUncorrected: '' }))
    return { metric: 'oauth_token', tags: key === 'ok' ? ok : failed, failed: key === 'failed', buckets }
  }

  /** The progress payload: the seconds changed since the last call. */
  take(): Series[] {
    const out = [...this.#changed].map(([key, seconds]) => this.#series(key, seconds))
    this.#changed = new Map()
    return out
  }

  /** Every second, one bucket each: what the final record holds. */
  exact(): Series[] {
    return [...this.raw.keys()].map((key) => this.#series(key, this.raw.get(key)!.keys()))
  }
}

/** A 60 s run: warm-up to 5 s, a fault from 20.3 s to 35.7 s that slows and fails token requests. */
function recordAt(nowMs: number, load: RunRecord['load']): RunRecord {
  const windows: RunRecord['windows'] = { steadyState: [5_000, Math.max(5_000, Math.min(nowMs, 20_300))] }
  if (nowMs > 20_300) windows.fault = [20_300, Math.min(nowMs, 35_700)]
  if (nowMs > 35_700) windows.recovery = [35_700, nowMs]
  return {
    ...buildRecord({ durationMs: nowMs }),
    phases: [{ name: 'warmup', start: 0, end: Math.min(nowMs, 5_003), status: 'completed' }],
    windows,
    load: { ...load, durationMs: nowMs },
  }
}

const edgesOf = (record: RunRecord) =>
  (['run', 'steady-state', 'fault', 'recovery'] as SloWindowValue[]).flatMap((w) => resolveWindow(record, w) ?? [])

const SLOS: SloEntry[] = [
  { id: 'M1' },
  { id: 'M2', objective: 'p(95)<300ms' },
  { id: 'M2', objective: 'max<1s' },
  { id: 'M2', objective: 'p(99)<300ms', window: 'steady-state' },
  { id: 'M2', objective: 'p(95)<300ms', window: 'fault' },
  { id: 'M2', objective: 'med<300ms', window: 'recovery' },
]

const scored = (record: RunRecord) =>
  scoreRun(record, SLOS, []).slos.map((s) => ({
    id: s.id,
    window: s.window,
    measured: s.measured,
    pass: s.pass,
    noData: s.noData,
  }))

describe('LiveLoad', () => {
  it('scores what the recorder streamed exactly as those seconds scored one by one, while seconds keep changing', () => {
    const rec = new Recorder(0, 4)
    const live = new LiveLoad()
    // the latest snapshot of every second, kept naively
    const sent = new Map<string, Series>()
    for (let t = 1; t <= 60; t++) {
      // second t-1 is over: 20 requests, slow (and some failing) during the fault
      const s = t - 1
      const fault = s >= 20 && s < 36
      for (let i = 0; i < 20; i++) {
        const at = s * 1000 + i * 50
        rec.record('oauth_token', ok, at, at, at + (fault ? 150 + 10 * i : 10 + (s % 7) + i), false)
      }
      if (fault) rec.record('oauth_token', failed, s * 1000, s * 1000, s * 1000 + 2_000, true)
      // a slow request of five seconds ago completes: that second changes after it was sent, even after it was encoded
      if (s >= 5) rec.record('oauth_token', ok, (s - 5) * 1000 + 500, (s - 5) * 1000 + 500, t * 1000, false)
      const changes = rec.takeChanges(t * 1000 + 100)
      rec.flush(t * 1000 + 100)
      live.add(changes)
      for (const x of changes.series) {
        const k = JSON.stringify([x.failed, x.tags])
        const byS = new Map((sent.get(k)?.buckets ?? []).map((b) => [b.s, b]))
        for (const b of x.buckets) byS.set(b.s, b)
        sent.set(k, { ...x, buckets: [...byS.values()].sort((a, b) => a.s - b.s) })
      }
      if (![4, 6, 12, 21, 22, 30, 36, 37, 45, 60].includes(t)) continue
      const now = t * 1000 + 150
      const record = recordAt(now, live.result({ engine: 'embedded', startedAt: 0, durationMs: now }))
      live.cut(edgesOf(record))
      const expected = scored(recordAt(now, { ...record.load, series: [...sent.values()] }))
      if (t >= 12) expect(expected.filter((x) => !x.noData).length, `at ${t} s`).toBeGreaterThan(2)
      expect(scored(record), `at ${t} s`).toEqual(expected)
    }
  })

  it('reads a handful of histograms per series however long the run', () => {
    const engine = new FakeEngine()
    const live = new LiveLoad()
    for (let s = 0; s < 120; s++) {
      for (let i = 0; i < 10; i++) engine.record('ok', s, 20 + i)
      live.add({ series: engine.take() })
      if (s % 2 === 0) {
        const record = recordAt(
          s * 1000 + 1000,
          live.result({ engine: 'embedded', startedAt: 0, durationMs: s * 1000 + 1000 }),
        )
        live.cut(edgesOf(record))
        scoreRun(record, [{ id: 'M2' }], [])
      }
    }
    const record = recordAt(120_500, live.result({ engine: 'embedded', startedAt: 0, durationMs: 120_500 }))
    live.cut(edgesOf(record))
    const buckets = record.load.series[0]!.buckets
    expect(buckets).toHaveLength(120)
    expect(buckets.reduce((n, b) => n + b.count, 0)).toBe(1200)
    // a block per stretch between window edges: 0–5, 5–6, 6–21, 21–36, 36–…
    expect(buckets.filter((b) => b.latency !== '').length).toBe(5)
    expect(seriesWindow(record.load.series, 0, 120_500).histogram.totalCount).toBe(1200)
  })

  it('splits a folded block when a window edge appears inside it', () => {
    const engine = new FakeEngine()
    const live = new LiveLoad()
    for (let s = 0; s < 30; s++) for (let i = 0; i < 5; i++) engine.record('ok', s, s < 12 ? 10 : 500)
    live.add({ series: engine.take() })
    let load = live.result({ engine: 'embedded', startedAt: 0, durationMs: 30_000 })
    live.cut([0, 30_000])
    expect(load.series[0]!.buckets.filter((b) => b.latency !== '').length).toBe(1)
    live.cut([0, 11_500, 30_000])
    load = live.result({ engine: 'embedded', startedAt: 0, durationMs: 30_000 })
    const after = seriesWindow(load.series, 11_500, 30_000)
    expect(after.count).toBe(90)
    expect(after.histogram.totalCount).toBe(90)
    expect(percentileMs(after.histogram, 1)).toBeCloseTo(500, -1)
    const before = seriesWindow(load.series, 0, 11_500)
    expect(before.histogram.totalCount).toBe(60)
    expect(before.histogram.maxValue / 1000).toBeCloseTo(10, 0)
  })

  it('replaces a second sent again and keeps counters per second', () => {
    const live = new LiveLoad()
    const h = createHistogram()
    recordMs(h, 5)
    const bucket = (count: number) => ({ s: 0, count, latency: encodeHistogram(h), latencyUncorrected: '' })
    live.add({
      series: [{ metric: 'oauth_token', tags: ok, failed: false, buckets: [bucket(1)] }],
      counters: [{ name: 'iterations', tags: { flow: 'cc' }, values: [{ s: 0, value: 1 }] }],
    })
    live.add({
      series: [{ metric: 'oauth_token', tags: { ...ok }, failed: false, buckets: [bucket(3)] }],
      counters: [
        {
          name: 'iterations',
          tags: { flow: 'cc' },
          values: [
            { s: 0, value: 3 },
            { s: 1, value: 2 },
          ],
        },
      ],
    })
    const load = live.result({ engine: 'embedded', startedAt: 0, durationMs: 2_000 })
    expect(load.series.map((x) => x.buckets.map((b) => [b.s, b.count]))).toEqual([[[0, 3]]])
    expect(load.counters).toEqual([
      {
        name: 'iterations',
        tags: { flow: 'cc' },
        values: [
          { s: 0, value: 3 },
          { s: 1, value: 2 },
        ],
      },
    ])
  })
})
