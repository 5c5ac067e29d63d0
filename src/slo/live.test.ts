import { describe, expect, it } from 'vitest'
import { buildRecord, buildSeries, type SeriesSpec } from '../../test/fixtures/records/build.ts'
import type { LoadResult, RunRecord } from '../record.ts'
import { LiveSlos } from './live.ts'

/** A progress message carrying the given seconds, as an engine streams them. */
const progress = (...specs: SeriesSpec[]) => ({ series: specs.map((s) => buildSeries(s, 60_000)) })

/** The runner's partial record: a 1 s warm-up, then the load so far. */
const partial =
  (extra: Partial<RunRecord> = {}) =>
  (load: LoadResult): RunRecord => ({
    ...buildRecord({ durationMs: load.durationMs }),
    phases: [{ name: 'warmup', start: 0, end: Math.min(1_000, load.durationMs), status: 'completed' }],
    windows: { steadyState: [1_000, Math.max(1_000, load.durationMs)] },
    ...extra,
    load,
  })

describe('LiveSlos', () => {
  it('shows an SLO unknown before data, held while requests succeed, and broken once failures are recorded', () => {
    let t = 0
    const live = new LiveSlos([{ id: 'M1' }, { id: 'M9' }], { now: () => t })
    live.add({})
    expect(live.status(500, partial())).toEqual({ M1: null, M9: null })

    // (clock steps are long: a slow evaluation on a busy machine defers the next one)
    t += 60_000
    live.add(progress({ metric: 'oauth_token', from: 0, to: 3, rate: 50 }))
    expect(live.status(3_200, partial())).toEqual({ M1: true, M9: null })

    // 503s arrive; within the interval the last status stands
    live.add(
      progress(
        { metric: 'oauth_token', from: 3, to: 5, rate: 50 },
        { metric: 'oauth_token', from: 3, to: 5, rate: 5, failed: true, tags: { status: '503' } },
      ),
    )
    t += 1_000
    expect(live.status(5_200, partial())).toEqual({ M1: true, M9: null })
    t += 60_000
    expect(live.status(5_300, partial())).toEqual({ M1: false, M9: null })
  })

  it('keeps an SLO unknown until its window is reached, then judges the part elapsed', () => {
    let t = 0
    const slos = [
      { id: 'M3', objective: 'rate<0.01', window: 'recovery' as const, target: 'rs1' },
      { id: 'M3', objective: 'rate<0.5', window: 'fault' as const },
      { id: 'M3', objective: 'rate<0.1', window: 'fault' as const },
    ]
    const live = new LiveSlos(slos, { now: () => t, intervalMs: 0 })
    // valid tokens rejected from second 4 on
    live.add(
      progress(
        { metric: 'rs_request', from: 0, to: 8, rate: 20 },
        {
          metric: 'rs_request',
          from: 4,
          to: 8,
          rate: 20,
          failed: true,
          tags: { status: '401', reason: 'unknown_kid' },
        },
      ),
    )
    const during = partial({ windows: { steadyState: [1_000, 3_000], fault: [3_000, 8_000] } })
    expect(live.status(8_000, during)).toEqual({ 'M3 (rs1)': null, M3: true, 'M3 [fault]': false })
    t += 60_000
    const after = partial({ windows: { steadyState: [1_000, 3_000], fault: [3_000, 6_000], recovery: [6_000, 8_000] } })
    expect(live.status(8_000, after)).toEqual({ 'M3 (rs1)': false, M3: true, 'M3 [fault]': false })
  })

  it('shows nothing known when the record cannot be scored yet', () => {
    const live = new LiveSlos([{ id: 'M1' }], { intervalMs: 0 })
    expect(
      live.status(1_000, () => {
        throw new Error('not yet')
      }),
    ).toEqual({ M1: null })
  })
})
