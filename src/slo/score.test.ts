import { describe, expect, it } from 'vitest'
import { buildRecord } from '../../test/fixtures/records/build.ts'
import { isGamedayError } from '../errors.ts'
import { resolveWindow, scoreRun } from './score.ts'

const healthy = [
  { metric: 'oauth_token' as const, rate: 50, latencyMs: 20 },
  { metric: 'rs_request' as const, rate: 50, latencyMs: 5 },
]

describe('scoreRun', () => {
  it('passes with exit code 0 when every listed SLO holds', () => {
    const v = scoreRun(buildRecord({ series: healthy }), [{ id: 'M1' }, { id: 'M2' }, { id: 'M3' }], [])
    expect(v).toMatchObject({ pass: true, score: 1, exitCode: 0 })
    expect(v.slos.map((s) => s.id)).toEqual(['M1', 'M2', 'M3'])
  })

  it('weights the score by severity and exits 99 on a breach', () => {
    const r = buildRecord({
      series: [...healthy, { metric: 'oauth_token', rate: 50, failed: true, tags: { status: '503' } }],
    })
    // M1 (critical, 3) breaks; M2 (major, 2) and M10 overridden to minor (1, no data → fails as listed)
    const v = scoreRun(r, [{ id: 'M1' }, { id: 'M2' }, { id: 'M10', severity: 'minor' }], [])
    expect(v.slos.map((s) => s.pass)).toEqual([false, true, false])
    expect(v.score).toBeCloseTo(2 / 6)
    expect(v).toMatchObject({ pass: false, exitCode: 99 })
  })

  it('scores the whole catalog at defaults when no SLO is listed, passing unmeasured ones', () => {
    const v = scoreRun(buildRecord({ series: healthy }), [], [])
    expect(v.slos).toHaveLength(12)
    expect(v.slos.filter((s) => s.noData).map((s) => s.id)).toEqual(['M4', 'M5', 'M6', 'M7', 'M8', 'M9', 'M10', 'L1'])
    expect(v.pass).toBe(true)
  })

  it('fails when the steady state does not hold after recovery', () => {
    const r = buildRecord({
      durationMs: 20_000,
      series: [
        { metric: 'oauth_token', from: 0, to: 20, rate: 50 },
        { metric: 'oauth_token', from: 15, to: 20, rate: 50, failed: true, tags: { status: '503' } },
      ],
      windows: { steadyState: [0, 5000], fault: [5000, 10_000], recovery: [10_000, 20_000] },
      phases: [{ name: 'steady-state-after', start: 15_000, end: 20_000, status: 'completed' }],
    })
    const v = scoreRun(r, [{ id: 'M2' }], ['M1'])
    expect(v.steadyState.before).toEqual({ held: true, failed: [] })
    expect(v.steadyState.after).toEqual({ held: false, failed: ['M1'] })
    expect(v.slos[0]!.pass).toBe(true)
    expect(v).toMatchObject({ pass: false, exitCode: 99 })
  })

  it('exits 105 and never passes when the run was aborted, clipping windows to the cut', () => {
    const r = buildRecord({
      durationMs: 3000,
      aborted: true,
      series: healthy,
      windows: { steadyState: [0, 2000], recovery: [8000, 12_000] },
    })
    const v = scoreRun(r, [{ id: 'M1' }, { id: 'M2', window: 'recovery' }], ['M1'])
    expect(v.exitCode).toBe(105)
    expect(v.pass).toBe(false)
    expect(v.slos[1]).toMatchObject({ noData: true, pass: false })
    expect(resolveWindow(r, 'recovery')).toEqual([8000, 8000])
    expect(resolveWindow(r, 'fault')).toBeNull()
  })

  it('refuses an unknown SLO id and a bad objective', () => {
    const r = buildRecord({ series: healthy })
    expect(() => scoreRun(r, [{ id: 'M42' as 'M1' }], [])).toThrow(
      expect.objectContaining({ code: 'ERR_UNKNOWN_UNIT' }),
    )
    try {
      scoreRun(r, [{ id: 'M2', objective: 'p95<300' }], [])
      expect.unreachable()
    } catch (err) {
      expect(isGamedayError(err, 'ERR_SCENARIO_INVALID')).toBe(true)
    }
  })
})
