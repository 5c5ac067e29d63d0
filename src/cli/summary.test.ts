import { describe, expect, it } from 'vitest'
import { buildRecord } from '../../test/fixtures/records/build.ts'
import { slos } from '../slo/index.ts'
import { scoreRun } from '../slo/score.ts'
import { formatRunSummary } from './summary.ts'

const twoRs = () =>
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
  })

describe('end-of-run summary', () => {
  it('prints the SLO table, the broken SLO with its why, and per RS the worst RS first', () => {
    const record = twoRs()
    const verdict = scoreRun(
      record,
      [{ id: 'M3', objective: 'rate<0.01', window: 'run', severity: 'critical' } as never],
      [],
    )
    const text = formatRunSummary(record, verdict, slos)
    expect(text).toMatch(/SLO\s+objective\s+window\s+measured\s+status\s+per RS/)
    expect(text).toMatch(/M3\s+rate<0.01\s+run\s+\d+\.\d%\s+FAIL\s+billing \d+\.\d% ✗, orders 0\.0% *$/m)
    expect(text).toContain('✗ M3 token validation failure rate at the RSs (valid tokens): ')
    expect(text).toContain('validator_unavailable')
  })

  it('says a run errored with its code and hint, never that an SLO broke', () => {
    const record = {
      ...twoRs(),
      status: 'errored' as const,
      error: {
        code: 'ERR_TARGET_UNREACHABLE',
        message: 'resource server billing at http://127.0.0.1:9/api: connection refused (ECONNREFUSED)',
      },
    }
    const verdict = scoreRun(record, [], [])
    const text = formatRunSummary(record, verdict, slos)
    expect(text).toContain('the run errored: ERR_TARGET_UNREACHABLE: resource server billing at http://127.0.0.1:9/api')
    expect(text).toMatch(/^hint: start it or fix its URL/m)
    expect(text).not.toMatch(/SLO broke/)
  })

  it("prints an errored run's own hint (the component's log to read) over its code's generic one", () => {
    const record = {
      ...twoRs(),
      status: 'errored' as const,
      error: {
        code: 'ERR_COMPONENT_EXITED',
        message: 'as exited with code 1 mid-run',
        hint: "the harness's own as died, not the system under test; read logs/as.log in the run folder",
      },
    }
    const text = formatRunSummary(record, scoreRun(record, [], []), slos)
    expect(text).toMatch(
      /^hint: the harness's own as died, not the system under test; read logs\/as\.log in the run folder$/m,
    )
  })

  it('has no per-RS column with one RS', () => {
    const record = buildRecord({ series: [{ metric: 'rs_request', rate: 10 }] })
    const text = formatRunSummary(
      record,
      scoreRun(record, [{ id: 'M3', objective: 'rate<0.01', window: 'run', severity: 'critical' } as never], []),
      slos,
    )
    expect(text).not.toContain('per RS')
    expect(text).toMatch(/M3\s+rate<0.01\s+run\s+0\.0%\s+pass$/m)
  })
})
