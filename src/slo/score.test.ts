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
    expect(v.slos).toHaveLength(17)
    expect(v.slos.filter((s) => s.noData).map((s) => s.id)).toEqual([
      'M4',
      'M5',
      'M6',
      'M7',
      'M8',
      'M9',
      'M10',
      'M11',
      'M12',
      'S2',
      'S3',
      'L1',
      'D1',
    ])
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

describe('per-RS scoring', () => {
  const twoRs = (extra: Parameters<typeof buildRecord>[0] = {}) =>
    buildRecord({
      durationMs: 10_000,
      targets: {
        issuer: 'http://127.0.0.1:4000',
        resourceServers: [
          { name: 'orders', url: 'http://127.0.0.1:4100', profile: 'resilient' },
          { name: 'billing', url: 'http://127.0.0.1:4101', profile: 'jose-defaults' },
        ],
      },
      series: [
        { metric: 'rs_request', tags: { target: 'orders' }, rate: 50 },
        { metric: 'rs_request', tags: { target: 'billing' }, rate: 40 },
        {
          metric: 'rs_request',
          tags: { target: 'billing', status: '503', reason: 'validator_unavailable' },
          failed: true,
          rate: 10,
          from: 4,
          to: 8,
        },
      ],
      ...extra,
    })

  it('breaks M3 down per RS, worst first, and names the worst RS in the attribution', () => {
    const v = scoreRun(twoRs(), [{ id: 'M3' }], [])
    const m3 = v.slos[0]!
    expect(m3.pass).toBe(false)
    expect(m3.perRs!.map((r) => [r.rs, r.pass])).toEqual([
      ['billing', false],
      ['orders', true],
    ])
    // 40 rejections out of 440 billing requests
    expect(m3.perRs![0]!.measured).toBeCloseTo(40 / 440)
    expect(m3.perRs![0]).toMatchObject({ reason: 'validator_unavailable', firstBrokeAt: 4000 })
    expect(m3.perRs![1]).toMatchObject({ measured: 0, noData: false })
    expect(m3.attribution).toMatch(
      /^broke at billing: 9\.1% rejections, validator_unavailable; orders 0\.0% — introspection\/JWKS outage reached clients/,
    )
    expect(m3.firstBrokeAt).toBe(4000)
  })

  it('leaves an entry with a target and a one-RS stack without a breakdown', () => {
    const v = scoreRun(twoRs(), [{ id: 'M3', target: 'billing' }, { id: 'M1' }], [])
    expect(v.slos[0]!.perRs).toBeUndefined()
    expect(v.slos[0]!.attribution).not.toContain('broke at')
    expect(v.slos[1]!.perRs).toBeUndefined()
    const one = scoreRun(
      buildRecord({ series: [{ metric: 'rs_request', failed: true, tags: { status: '401', reason: 'expired' } }] }),
      [{ id: 'M3' }],
      [],
    )
    expect(one.slos[0]!.perRs).toBeUndefined()
  })

  it('scores probe-fed SLOs per RS from the probe breakdown and dates the breach by the objective', () => {
    const r = twoRs({
      probes: [
        {
          index: 1,
          probe: 'jwks-refresh-latency',
          name: 'jwks refresh latency (max over RSs)',
          status: 'ok',
          value: 14_000,
          unit: 'ms',
          breakdown: { orders: 120, billing: 14_000 },
          observations: [],
          startedAt: 1000,
          endedAt: 15_000,
        },
      ],
    })
    const m9 = scoreRun(r, [{ id: 'M9' }], []).slos[0]!
    expect(m9.perRs!.map((x) => [x.rs, x.measured, x.pass])).toEqual([
      ['billing', 14_000, false],
      ['orders', 120, true],
    ])
    expect(m9.firstBrokeAt).toBe(11_000)
    expect(m9.attribution).toMatch(/^broke at billing: 14(\.0)?s; orders 120ms/)
  })

  it('fails an RS the probe marks as timed out, whatever its lower bound says', () => {
    const r = twoRs({
      probes: [
        {
          index: 1,
          probe: 'jwks-refresh-latency',
          name: 'jwks refresh latency (max over RSs)',
          status: 'timeout',
          value: null,
          unit: 'ms',
          breakdown: { orders: 120, billing: 5000, 'billing.timedOut': true },
          observations: [],
          startedAt: 1000,
          endedAt: 6000,
        },
      ],
    })
    const m9 = scoreRun(r, [{ id: 'M9' }], []).slos[0]!
    expect(m9.pass).toBe(false)
    expect(m9.perRs!.map((x) => [x.rs, x.pass])).toEqual([
      ['billing', false],
      ['orders', true],
    ])
    expect(m9.perRs![0]!.forceFail).toBe('jwks refresh latency (max over RSs): billing did not complete within 5000ms')
  })
})
