import { describe, expect, it } from 'vitest'
import { buildRecord } from '../../test/fixtures/records/build.ts'
import type { RunRecord } from '../record/index.ts'
import { scoreRun } from '../slo/score.ts'
import { compareRuns, planMismatches } from './compare.ts'

function twoRs(id: string, billingFailedPerSecond: number) {
  const record = buildRecord({
    runId: id,
    targets: {
      issuer: 'http://127.0.0.1:4000',
      resourceServers: [
        { name: 'orders', url: 'http://127.0.0.1:4100' },
        { name: 'billing', url: 'http://127.0.0.1:4101' },
      ],
    },
    series: [
      { metric: 'rs_request', rate: 100, tags: { target: 'orders' } },
      { metric: 'rs_request', rate: 100, tags: { target: 'billing' } },
      {
        metric: 'rs_request',
        rate: billingFailedPerSecond,
        failed: true,
        tags: { target: 'billing', status: '401', reason: 'unknown_kid' },
      },
    ],
  })
  return { record, verdict: scoreRun(record, [{ id: 'M3' }], []) }
}

function run(id: string, opts: { p95Ms: number; failedPerSecond: number; m5?: number }) {
  const record = buildRecord({
    runId: id,
    series: [
      { metric: 'oauth_token', rate: 100, latencyMs: (_s, i) => (i < 90 ? 10 : opts.p95Ms) },
      { metric: 'oauth_token', rate: opts.failedPerSecond, failed: true, tags: { status: '503' } },
      { metric: 'rs_request', rate: 100 },
    ],
    probes:
      opts.m5 === undefined
        ? []
        : [
            {
              index: 0,
              probe: 'revocation-propagation',
              name: 'revocation propagation',
              status: 'ok',
              value: opts.m5,
              unit: 'ms',
              observations: [],
              startedAt: 0,
              endedAt: 1,
            },
          ],
  })
  const slos = [
    { id: 'M1' as const },
    { id: 'M2' as const },
    { id: 'M3' as const },
    ...(opts.m5 === undefined ? [] : [{ id: 'M5' as const }]),
  ]
  return { record, verdict: scoreRun(record, slos, []) }
}

describe('compareRuns', () => {
  it('finds regressions (pass → fail, or worse by more than 10%) and improvements', () => {
    const old = run('night-1', { p95Ms: 100, failedPerSecond: 1, m5: 10_000 })
    const now = run('night-2', { p95Ms: 400, failedPerSecond: 0, m5: 10_500 })
    const r = compareRuns(old, now)
    expect(r.regressions.map((c) => c.key)).toEqual(['M2'])
    expect(r.improvements.map((c) => c.key)).toEqual(['M1'])
    const m2 = r.regressions[0]!
    expect(m2.oldPass).toBe(true)
    expect(m2.newPass).toBe(false)
    expect(m2.relative).toBeGreaterThan(2.5)
    expect(r.changes.find((c) => c.key === 'M5')!.kind).toBe('unchanged') // +5 % is within the noise limit
    expect(r.scoreDelta).toBeCloseTo(now.verdict.score - old.verdict.score)
    expect(r.text).toMatch(/regressed:\n {2}- M2 token endpoint latency p95: .*ms → .*ms \(\+\d+%\), now failing/)
    expect(r.text).toContain('improved:\n  + M1 token issuance success rate')
    expect(r.markdown).toContain('| M2 token endpoint latency p95 | `p(95)<300ms` |')
    expect(r.markdown).toContain('🔻 regressed')
  })

  it('flags a move beyond the limit that stays inside the objective, and added/removed SLOs', () => {
    const old = run('a', { p95Ms: 100, failedPerSecond: 0 })
    const now = run('b', { p95Ms: 200, failedPerSecond: 0, m5: 1000 })
    const r = compareRuns(old, now)
    expect(r.regressions.map((c) => c.key)).toEqual(['M2'])
    expect(r.changes.find((c) => c.key === 'M5')!.kind).toBe('added')
    expect(compareRuns(now, old).changes.find((c) => c.key === 'M5')!.kind).toBe('removed')
    expect(compareRuns(old, old).regressions).toEqual([])
  })
})

describe('planMismatches', () => {
  it('names another scenario, a changed objective and another stack; nothing for the same plan', () => {
    const a = run('a', { p95Ms: 100, failedPerSecond: 0 })
    expect(planMismatches(a, a)).toEqual([])
    const other = {
      record: {
        ...a.record,
        scenarioId: 'other',
        scenario: {
          stack: { resourceServers: [{ name: 'rs1', profile: 'fail-open' }] },
        } as unknown as RunRecord['scenario'],
      },
      verdict: {
        ...a.verdict,
        slos: a.verdict.slos.map((s) => (s.id === 'M2' ? { ...s, objective: 'p(95)<900ms' } : s)),
      },
    }
    expect(planMismatches(a, other)).toEqual([
      'different scenarios: "baseline" then "other"',
      'M2: the objective changed from p(95)<300ms to p(95)<900ms',
      "different stacks: the scenarios' stack sections differ (components, profiles or options)",
    ])
    expect(compareRuns(a, other).text).toContain('warning: different scenarios')
    // the title names both scenarios, not only the new one
    expect(compareRuns(a, other).text.split('\n')[0]).toMatch(/^baseline → other: /)
    expect(compareRuns(a, a).text.split('\n')[0]).toMatch(/^baseline: /)
  })

  it('compares the SLOs scored per RS under per-RS keys', () => {
    const r = compareRuns(twoRs('night-1', 0), twoRs('night-2', 5))
    expect(r.changes.map((c) => c.key).sort()).toEqual(['M3', 'M3 (billing)', 'M3 (orders)'])
    expect(r.regressions.map((c) => c.key).sort()).toEqual(['M3', 'M3 (billing)'])
    expect(r.changes.find((c) => c.key === 'M3 (orders)')).toMatchObject({
      kind: 'unchanged',
      oldMeasured: 0,
      newMeasured: 0,
    })
    expect(r.text).toContain('- M3 (billing) token validation failure rate')
  })
})
