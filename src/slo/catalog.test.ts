import { describe, expect, it } from 'vitest'
import { buildRecord } from '../../test/fixtures/records/build.ts'
import type { CounterSeries, ProbeResult, RunRecord } from '../record/index.ts'
import { formatMeasured } from '../report/format.ts'
import { isFed } from '../scenario/rules.ts'
import { type Scenario, SloId } from '../scenario/schema.ts'
import { slos } from './index.ts'
import { scoreSlo } from './score.ts'
import { parseThreshold } from './threshold.ts'

const W: [number, number] = [0, 10_000]

function probe(p: Partial<ProbeResult> & Pick<ProbeResult, 'probe'>): ProbeResult {
  return {
    index: 0,
    name: p.probe,
    status: 'ok',
    value: null,
    unit: 'ms',
    observations: [],
    startedAt: 2000,
    endedAt: 6000,
    ...p,
  }
}

describe('slo catalog', () => {
  it('registers M1..M11, S1–S3, L1 and D1 under their ids, each with a parseable default objective', () => {
    expect(Object.keys(slos).sort()).toEqual([
      'D1',
      'L1',
      'M1',
      'M10',
      'M11',
      'M12',
      'M2',
      'M3',
      'M4',
      'M5',
      'M6',
      'M7',
      'M8',
      'M9',
      'S1',
      'S2',
      'S3',
    ])
    // the scenario schema accepts exactly the catalog's ids
    expect((SloId.anyOf as Array<{ const: string }>).map((l) => l.const).sort()).toEqual(Object.keys(slos).sort())
    for (const [key, def] of Object.entries(slos)) {
      expect(def.id).toBe(key)
      expect(() => parseThreshold(def.objective)).not.toThrow()
    }
  })
})

describe('M1', () => {
  it('measures the token success rate and names the dominant failure', () => {
    const r = buildRecord({
      series: [
        { metric: 'oauth_token', rate: 99 },
        { metric: 'oauth_token', rate: 1, failed: true, tags: { status: '503', error: 'temporarily_unavailable' } },
      ],
    })
    const v = slos.M1!.indicator(r, W)
    expect(v.value).toBeCloseTo(0.99)
    expect(v.total).toBe(1000)
    const s = scoreSlo(r, { id: 'M1' }, true)
    expect(s.pass).toBe(false)
    expect(s.budgetConsumed).toBeCloseTo(10)
    expect(s.attribution).toContain('temporarily_unavailable')
  })

  it('returns no data when the window has no traffic', () => {
    const r = buildRecord({
      series: [{ metric: 'oauth_token', from: 0, to: 3 }],
      windows: { recovery: [5000, 10_000] },
    })
    expect(slos.M1!.indicator(r, [5000, 10_000]).value).toBeNull()
    const explicit = scoreSlo(r, { id: 'M1', window: 'recovery' }, true)
    expect(explicit).toMatchObject({ noData: true, pass: false, measured: null })
    expect(scoreSlo(r, { id: 'M1', window: 'recovery' }, false)).toMatchObject({ noData: true, pass: true })
  })

  it('reads 0 when every request failed', () => {
    const r = buildRecord({
      series: [{ metric: 'oauth_token', failed: true, tags: { status: '0', reason: 'timeout' } }],
    })
    const s = scoreSlo(r, { id: 'M1' }, true)
    expect(s.measured).toBe(0)
    expect(s.attribution).toContain('timeout')
  })
})

describe('M2', () => {
  it('computes p95 and other aggregates from the corrected histograms', () => {
    const r = buildRecord({ series: [{ metric: 'oauth_token', rate: 100, latencyMs: (_s, i) => (i < 90 ? 10 : 500) }] })
    const p95 = slos.M2!.indicator(r, W, undefined, parseThreshold('p(95)<300ms'))
    expect(p95.value).toBeGreaterThan(490)
    expect(p95.value).toBeLessThan(510)
    expect(slos.M2!.indicator(r, W, undefined, parseThreshold('p(50)<300ms')).value).toBeCloseTo(10, 0)
    expect(slos.M2!.indicator(r, W, undefined, parseThreshold('avg<300ms')).value).toBeCloseTo(59, 0)
    expect(scoreSlo(r, { id: 'M2' }, true).pass).toBe(false)
    expect(scoreSlo(r, { id: 'M2', objective: 'p(90)<300ms' }, true).pass).toBe(true)
  })

  it('only counts seconds inside a window cut by an abort', () => {
    const r = buildRecord({
      durationMs: 4000,
      aborted: true,
      series: [
        { metric: 'oauth_token', from: 0, to: 4, latencyMs: 20 },
        // buckets past the abort (should not exist, but a sloppy engine could leave them)
        { metric: 'oauth_token', from: 4, to: 8, latencyMs: 5000 },
      ],
    })
    const s = scoreSlo(r, { id: 'M2' }, true)
    expect(s.measured).toBeLessThan(30)
    expect(s.windowMs).toEqual([0, 4000])
  })
})

describe('M3', () => {
  const base = [
    { metric: 'rs_request' as const, rate: 90 },
    {
      metric: 'rs_request' as const,
      rate: 5,
      failed: true,
      tags: { status: '401', error: 'invalid_token', reason: 'unknown_kid' },
    },
    {
      metric: 'rs_request' as const,
      rate: 50,
      failed: true,
      tags: { status: '401', error: 'invalid_token', reason: 'inactive', token: 'revoked' },
    },
    {
      metric: 'rs_request' as const,
      rate: 50,
      failed: true,
      tags: { status: '401', reason: 'bad_signature', token: 'attacker' },
    },
    {
      metric: 'rs_request' as const,
      rate: 50,
      failed: true,
      tags: { status: '403', error: 'insufficient_scope', reason: 'insufficient_scope' },
    },
  ]

  it('counts only rejections of tokens the client believes valid', () => {
    const r = buildRecord({ series: base })
    const v = slos.M3!.indicator(r, W)
    expect(v.total).toBe(950)
    expect(v.value).toBeCloseTo(50 / 950)
    expect(v.breakdown).toEqual({ unknown_kid: 50 })
  })

  it('counts 503 validator_unavailable as a failed validation, not transport errors', () => {
    const r = buildRecord({
      series: [
        { metric: 'rs_request', rate: 8 },
        { metric: 'rs_request', rate: 1, failed: true, tags: { status: '503', reason: 'validator_unavailable' } },
        { metric: 'rs_request', rate: 1, failed: true, tags: { status: '0', reason: 'connection_reset' } },
      ],
    })
    const v = slos.M3!.indicator(r, W)
    expect(v.value).toBeCloseTo(0.1)
    expect(scoreSlo(r, { id: 'M3' }, true).attribution).toContain('introspection/JWKS outage reached clients')
  })

  it('attributes unknown_kid during a key rotation to the RS key set cache', () => {
    const r = buildRecord({
      series: base,
      faults: [
        { index: 0, fault: 'bad-key-rotation', params: {}, injectedAt: 2000, revertedAt: 8000, status: 'reverted' },
      ],
    })
    const s = scoreSlo(r, { id: 'M3' }, true)
    expect(s.pass).toBe(false)
    expect(s.attribution).toMatch(/RS did not refetch the key set after the new kid appeared.*bad-key-rotation/)
  })

  it('attributes expired tokens to clock skew and restricts to one RS', () => {
    const r = buildRecord({
      series: [
        { metric: 'rs_request', rate: 10, tags: { target: 'rs2' } },
        { metric: 'rs_request', rate: 10, failed: true, tags: { status: '401', reason: 'expired', target: 'rs2' } },
        { metric: 'rs_request', rate: 10 },
      ],
    })
    expect(slos.M3!.indicator(r, W, 'rs1').value).toBe(0)
    const s = scoreSlo(r, { id: 'M3', target: 'rs2' }, true)
    expect(s.measured).toBeCloseTo(0.5)
    expect(s.target).toBe('rs2')
    expect(s.attribution).toContain('clock skew beyond the RS tolerance')
  })
})

describe('M4', () => {
  it('reads only refresh_token grants', () => {
    const r = buildRecord({
      series: [
        { metric: 'oauth_token', rate: 100, failed: true, tags: { grant: 'client_credentials', status: '500' } },
        { metric: 'oauth_token', rate: 9, tags: { grant: 'refresh_token' } },
        {
          metric: 'oauth_token',
          rate: 1,
          failed: true,
          tags: { grant: 'refresh_token', status: '400', error: 'invalid_grant' },
        },
      ],
    })
    const s = scoreSlo(r, { id: 'M4' }, true)
    expect(s.measured).toBeCloseTo(0.9)
    expect(s.attribution).toContain('invalid_grant')
  })
})

describe('M5 and M9', () => {
  it('take the max over RSs from the probe, in ms', () => {
    const r = buildRecord({
      probes: [
        probe({ probe: 'revocation-propagation', value: 12_000, breakdown: { rs1: 2000, rs2: 12_000 } }),
        probe({ probe: 'jwks-refresh-latency', value: 31, unit: 's', breakdown: { rs1: 31 } }),
      ],
    })
    expect(scoreSlo(r, { id: 'M5' }, true)).toMatchObject({ measured: 12_000, pass: true, margin: 18_000 })
    expect(scoreSlo(r, { id: 'M5', target: 'rs1' }, true).measured).toBe(2000)
    const m9 = scoreSlo(r, { id: 'M9' }, true)
    expect(m9).toMatchObject({ measured: 31_000, pass: false })
    expect(m9.attribution).toContain('rs1')
  })

  it('fails on a probe that timed out without a value', () => {
    const r = buildRecord({
      probes: [
        probe({ probe: 'jwks-refresh-latency', status: 'timeout', value: null, startedAt: 1000, endedAt: 6000 }),
      ],
    })
    const s = scoreSlo(r, { id: 'M9' }, true)
    expect(s).toMatchObject({ measured: 5000, pass: false, noData: false })
    expect(s.attribution).toContain('did not complete')
  })

  it('has no data without the probe', () => {
    expect(scoreSlo(buildRecord(), { id: 'M5' }, true)).toMatchObject({ noData: true, pass: false })
  })
})

describe('M11', () => {
  /** `value` retries in each second of [from, to). */
  const retries = (tags: Record<string, string>, value: number, from = 0, to = 10): CounterSeries => ({
    name: 'dpop_nonce_retries',
    tags,
    values: Array.from({ length: to - from }, (_, i) => ({ s: from + i, value })),
  })
  const tokenRetries = (value: number, from?: number, to?: number) =>
    retries({ flow: 'client-credentials', endpoint: 'token', grant: 'client_credentials' }, value, from, to)
  const apiRetries = (value: number, flow = 'api-call') => retries({ flow, endpoint: 'api', target: 'orders' }, value)
  const dpopScenario = {
    load: {
      flows: [
        { flow: 'client-credentials', dpop: true },
        { flow: 'api-call', dpop: true },
      ],
    },
  }
  // 10 tokens a second for 10 s: 100 tokens issued by the DPoP client-credentials flow
  const tokens = { metric: 'oauth_token' as const, rate: 10 }

  it('holds at one retry per token or fewer, and reads the retries of every endpoint over the tokens issued', () => {
    const r = buildRecord({ scenario: dpopScenario, series: [tokens], counters: [tokenRetries(5), apiRetries(2)] })
    const v = slos.M11!.indicator(r, W)
    expect(v).toMatchObject({ value: 0.7, total: 100 })
    expect(v.breakdown).toEqual({ 'client-credentials at the token endpoint': 50, 'api-call at orders': 20 })
    expect(scoreSlo(r, { id: 'M11' }, true)).toMatchObject({ pass: true, measured: 0.7 })
    const once = buildRecord({ scenario: dpopScenario, series: [tokens], counters: [tokenRetries(10)] })
    expect(scoreSlo(once, { id: 'M11' }, true)).toMatchObject({ pass: true, measured: 1 })
  })

  it('breaks when clients retry more than once per token and names where the retries went', () => {
    const r = buildRecord({
      scenario: dpopScenario,
      series: [
        tokens,
        { metric: 'oauth_token', rate: 5, failed: true, tags: { status: '400', error: 'use_dpop_nonce' } },
      ],
      counters: [tokenRetries(2), apiRetries(20)],
      faults: [
        { index: 0, fault: 'dpop-nonce-rotation', params: {}, injectedAt: 2000, revertedAt: 8000, status: 'reverted' },
      ],
    })
    const s = scoreSlo(r, { id: 'M11' }, true)
    // failed token requests issued nothing: 220 retries over 100 tokens
    expect(s).toMatchObject({ pass: false, measured: 2.2 })
    expect(s.attribution).toMatch(
      /most nonce retries: api-call at orders \(91% of 220 retries for 100 tokens\) during dpop-nonce-rotation/,
    )
    expect(formatMeasured(s)).toBe('2.2 retries per token')
  })

  it('counts only the tokens of flows with dpop: true, in either engine naming', () => {
    const mixed = {
      load: {
        flows: [
          { flow: 'client-credentials' },
          { flow: 'client-credentials', dpop: true },
          { flow: 'api-call', dpop: true },
        ],
      },
    }
    const r = buildRecord({
      scenario: mixed,
      series: [
        { metric: 'oauth_token', rate: 100, tags: { flow: 'client-credentials' } },
        { metric: 'oauth_token', rate: 100, tags: { flow: 'client-credentials-1' } },
        { metric: 'oauth_token', rate: 5, tags: { flow: 'client-credentials-2' } },
      ],
      counters: [apiRetries(10)],
    })
    // the bearer flow's tokens (embedded `client-credentials`, k6 `client-credentials-1`) do not dilute the ratio
    expect(slos.M11!.indicator(r, W)).toMatchObject({ value: 2, total: 50 })
  })

  it('reads retries in a window without a new token as retries of one token', () => {
    const r = buildRecord({
      scenario: dpopScenario,
      series: [{ ...tokens, from: 0, to: 2 }],
      counters: [apiRetries(1)],
      windows: { recovery: [5000, 10_000] },
    })
    expect(slos.M11!.indicator(r, [5000, 10_000])).toMatchObject({ value: 5, total: 0 })
  })

  it('has no data without DPoP flows, even with tokens in the record, and only DPoP flows feed it', () => {
    const bearer = buildRecord({
      scenario: { load: { flows: [{ flow: 'client-credentials' }] } },
      series: [tokens],
      counters: [tokenRetries(1)],
    })
    expect(scoreSlo(bearer, { id: 'M11' }, true)).toMatchObject({ noData: true, pass: false, measured: null })
    expect(scoreSlo(buildRecord({ scenario: dpopScenario }), { id: 'M11' }, true)).toMatchObject({ noData: true })
    const plan = (dpop: boolean) =>
      ({ load: { flows: [{ flow: 'api-call', dpop }] }, timeline: [] }) as unknown as Pick<
        Scenario,
        'load' | 'timeline'
      >
    expect(isFed(slos.M11!.feeders, plan(false))).toBe(false)
    expect(isFed(slos.M11!.feeders, plan(true))).toBe(true)
  })
})

describe('M6 and M10', () => {
  it('rate introspection success and authorization errors', () => {
    const r = buildRecord({
      series: [
        { metric: 'introspection', rate: 19 },
        { metric: 'introspection', rate: 1, failed: true, tags: { status: '429' } },
        { metric: 'oauth_authorize', rate: 100 },
        { metric: 'browser_login', rate: 1, failed: true, tags: { endpoint: 'total', status: '500' } },
      ],
    })
    const m6 = scoreSlo(r, { id: 'M6' }, true)
    expect(m6.measured).toBeCloseTo(0.95)
    expect(m6.attribution).toContain('rate-limited')
    const m10 = scoreSlo(r, { id: 'M10' }, true)
    expect(m10.measured).toBeCloseTo(1 / 101)
    expect(m10.pass).toBe(false)
  })
})

describe('M7', () => {
  it('holds when reuse is detected and the attacker gets nothing afterwards', () => {
    const r = buildRecord({
      probes: [
        probe({
          probe: 'refresh-reuse-detection',
          value: true,
          unit: 'bool',
          breakdown: { detected: true, attackerCallsAfterDetection: 0 },
        }),
      ],
    })
    expect(scoreSlo(r, { id: 'M7' }, true)).toMatchObject({ measured: 1, pass: true })
  })

  it('breaks when the attacker succeeds after detection (probe or record traffic)', () => {
    const r = buildRecord({
      series: [{ metric: 'rs_request', from: 5, to: 7, rate: 2, tags: { token: 'attacker' } }],
      events: [{ t: 4000, source: 'mock-as', type: 'refresh_token.reused' }],
      probes: [probe({ probe: 'refresh-reuse-detection', value: true, unit: 'bool', breakdown: { detected: true } })],
    })
    const s = scoreSlo(r, { id: 'M7' }, true)
    expect(s).toMatchObject({ measured: 0, pass: false })
    expect(s.attribution).toContain('attacker succeeded 4 times')
  })

  it('breaks when reuse is not detected', () => {
    const r = buildRecord({ probes: [probe({ probe: 'refresh-reuse-detection', value: false, unit: 'bool' })] })
    expect(scoreSlo(r, { id: 'M7' }, true).attribution).toContain('not detected')
  })
})

describe('M8', () => {
  it('counts enforcement gaps and honest PKCE failures', () => {
    const r = buildRecord({
      series: [
        { metric: 'oauth_token', rate: 5, tags: { grant: 'authorization_code' } },
        {
          metric: 'oauth_token',
          from: 0,
          to: 1,
          rate: 2,
          failed: true,
          tags: { grant: 'authorization_code', status: '400', error: 'invalid_grant' },
        },
      ],
      probes: [
        probe({
          probe: 'pkce-enforcement',
          value: false,
          unit: 'bool',
          breakdown: { missingChallengeRefused: true, wrongVerifierRefused: false },
        }),
      ],
    })
    const s = scoreSlo(r, { id: 'M8' }, true)
    expect(s).toMatchObject({ measured: 3, pass: false })
    expect(s.attribution).toContain('PKCE not enforced')
  })

  it('holds with enforcement and clean flows', () => {
    const r = buildRecord({
      probes: [
        probe({
          probe: 'pkce-enforcement',
          value: true,
          unit: 'bool',
          breakdown: { missingChallengeRefused: true, wrongVerifierRefused: true },
        }),
      ],
    })
    expect(scoreSlo(r, { id: 'M8' }, true)).toMatchObject({ measured: 0, pass: true })
  })
})

describe('S1', () => {
  it('sums probe acceptances and RS fail_open.accepted events', () => {
    const r = buildRecord({
      series: [{ metric: 'rs_request' }],
      events: [
        { t: 3000, source: 'rs:weak', type: 'fail_open.accepted' },
        { t: 3500, source: 'rs:weak', type: 'fail_open.accepted' },
        { t: 20_000, source: 'rs:weak', type: 'fail_open.accepted' },
      ],
      probes: [probe({ probe: 'fail-open', value: 1, unit: 'count' })],
    })
    const s = scoreSlo(r, { id: 'S1' }, true)
    expect(s).toMatchObject({ measured: 3, pass: false })
    expect(s.attribution).toContain('weak')
  })

  it('reads 0 with RS traffic and no acceptances, no data without either', () => {
    expect(scoreSlo(buildRecord({ series: [{ metric: 'rs_request' }] }), { id: 'S1' }, true)).toMatchObject({
      measured: 0,
      pass: true,
    })
    expect(scoreSlo(buildRecord(), { id: 'S1' }, true).noData).toBe(true)
  })
})

describe('S2', () => {
  const finding = (rs: string, attack: string, extra: Record<string, unknown> = {}) => ({
    rs,
    attack,
    applicable: true,
    accepted: false,
    status: 401,
    ...extra,
  })
  const attacksProbe = (observations: Array<Record<string, unknown>>, extra: Partial<ProbeResult> = {}) =>
    probe({ probe: 'jwt-attacks', unit: 'count', value: 0, observations, ...extra })

  it('counts accepted attacks and attacker-URL fetches per RS, not robustness findings, and names them', () => {
    const r = buildRecord({
      probes: [
        attacksProbe([
          finding('orders', 'alg-none'),
          finding('weak', 'wrong-audience', { accepted: true, status: 200 }),
          finding('weak', 'jku-injection', { fetchedAttackerUrl: true }),
          finding('orders', 'oversize-token', { status: 500, robustness: 'server_error' }),
        ]),
      ],
    })
    const s = scoreSlo(r, { id: 'S2' }, true)
    expect(s).toMatchObject({ measured: 2, pass: false })
    expect(s.attribution).toContain('weak accepted wrong-audience, jku-injection (fetched the attacker URL)')
    expect(scoreSlo(r, { id: 'S2', target: 'orders' }, true)).toMatchObject({ measured: 0, pass: true })
    expect(scoreSlo(r, { id: 'S2', target: 'weak' }, true)).toMatchObject({ measured: 2, pass: false })
  })

  it('has no data without the probe, and fails when an RS could not be attacked', () => {
    expect(scoreSlo(buildRecord(), { id: 'S2' }, true).noData).toBe(true)
    const r = buildRecord({
      probes: [
        attacksProbe([finding('orders', 'alg-none')], {
          status: 'failed',
          error: 'not attacked: other: an honest token was refused (status 401)',
        }),
      ],
    })
    const s = scoreSlo(r, { id: 'S2' }, true)
    expect(s.pass).toBe(false)
    expect(s.attribution).toContain('honest token was refused')
  })
})

describe('S3', () => {
  it('counts applicable exposures by check, ignores the burst and inapplicable checks, no data without the probe', () => {
    const observations = [
      { check: 'unauthenticated', applicable: true, exposed: false, status: 401 },
      { check: 'cross-client-refresh', applicable: true, exposed: true, status: 200 },
      { check: 'unregistered-audience', applicable: true, exposed: true, status: 200 },
      { check: 'token-scanning-burst', applicable: true, exposed: false, status: 0, sent: 50, throttled: 0 },
      { check: 'wrong-secret', applicable: false, exposed: false, status: 0 },
    ]
    const s = scoreSlo(
      buildRecord({ probes: [probe({ probe: 'as-exposure', unit: 'count', value: 2, observations })] }),
      { id: 'S3' },
      true,
    )
    expect(s).toMatchObject({ measured: 2, pass: false })
    expect(s.attribution).toContain('cross-client-refresh, unregistered-audience')
    expect(scoreSlo(buildRecord(), { id: 'S3' }, true).noData).toBe(true)
  })
})

describe('L1 and M10 with browser logins', () => {
  const logins = (failedShare: number) =>
    buildRecord({
      series: [
        { metric: 'browser_login', rate: 10, tags: { endpoint: 'login-page', status: 'ok' }, latencyMs: 300 },
        {
          metric: 'browser_login',
          rate: 10 * (1 - failedShare),
          tags: { endpoint: 'submit', status: 'ok' },
          latencyMs: 400,
        },
        {
          metric: 'browser_login',
          rate: 10 * failedShare,
          failed: true,
          tags: { endpoint: 'submit', status: 'failed', reason: 'state_mismatch' },
          latencyMs: 400,
        },
        {
          metric: 'browser_login',
          rate: 10 * (1 - failedShare),
          tags: { endpoint: 'total', status: 'ok' },
          latencyMs: 1200,
        },
        {
          metric: 'browser_login',
          rate: 10 * failedShare,
          failed: true,
          tags: { endpoint: 'total', status: 'failed', reason: 'state_mismatch' },
          latencyMs: 900,
        },
      ],
    })

  it('L1 reads the p95 of whole logins, not of their steps', () => {
    const v = slos.L1!.indicator(logins(0), W)
    expect(v.value).toBeGreaterThan(1100)
    expect(v.value).toBeLessThan(1300)
    expect(scoreSlo(logins(0), { id: 'L1', objective: 'p(95)<1s' }, true).pass).toBe(false)
    expect(scoreSlo(logins(0), { id: 'L1' }, true).pass).toBe(true)
  })

  it('M10 counts each browser login once, by its total', () => {
    const v = slos.M10!.indicator(logins(0.2), W)
    expect(v.value).toBeCloseTo(0.2, 5)
    expect(v.total).toBe(100)
  })
})

describe('D1', () => {
  const fault = {
    index: 1,
    fault: 'bad-key-rotation',
    params: {},
    injectedAt: 2000,
    revertedAt: 6000,
    status: 'reverted' as const,
  }
  const withAlerts = (detections: NonNullable<RunRecord['prometheus']>['detections']): RunRecord => ({
    ...buildRecord({}),
    faults: [fault],
    prometheus: {
      version: '2.42.0',
      scrapeIntervalSeconds: 1,
      windows: [],
      alerts: [{ alert: 'GamedaySLO_M3_page', slo: 'M3', severity: 'page' }],
      skipped: [],
      transitions: [],
      detections,
    },
  })
  const page = (firedAt: number, falseAlarm = false) => ({
    alertname: 'GamedaySLO_M3_page',
    slo: 'M3',
    severity: 'page',
    firedAt,
    falseAlarm,
    ...(falseAlarm ? {} : { faultIndex: 1, fault: 'bad-key-rotation', timeToDetectSeconds: (firedAt - 2000) / 1000 }),
  })

  it('measures the time from injection to the page alert of the named SLO', () => {
    const s = scoreSlo(withAlerts([page(5500)]), { id: 'D1', alert: 'M3', objective: 'max<5s' }, true)
    expect(s).toMatchObject({ measured: 3500, pass: true })
    expect(scoreSlo(withAlerts([page(5500)]), { id: 'D1', alert: 'M3', objective: 'max<3s' }, true).pass).toBe(false)
  })

  it('breaks when the alert never fired for a fault, or fired with no fault', () => {
    const missed = scoreSlo(withAlerts([]), { id: 'D1', alert: 'M3' }, true)
    expect(missed.pass).toBe(false)
    expect(missed.attribution).toMatch(/GamedaySLO_M3_page never fired for bad-key-rotation#1/)
    const falseAlarm = scoreSlo(withAlerts([page(3000), page(9000, true)]), { id: 'D1', alert: 'M3' }, true)
    expect(falseAlarm.pass).toBe(false)
    expect(falseAlarm.attribution).toMatch(/false alarm at 9.0s/)
  })

  it('has no data without run --prometheus', () => {
    expect(scoreSlo({ ...buildRecord({}), faults: [fault] }, { id: 'D1', alert: 'M3' }, true)).toMatchObject({
      noData: true,
      pass: false,
    })
  })
})

describe('M12', () => {
  const scenario = {
    id: 'dpop',
    load: {
      flows: [
        { flow: 'client-credentials', dpop: true },
        { flow: 'api-call', target: 'rs1', dpop: true },
        { flow: 'api-call', target: 'rs2' },
      ],
    },
  }
  const counter = (tags: Record<string, string>, perSecond: number, from = 0, to = 10) => ({
    name: 'dpop_proof_rejections',
    tags,
    values: Array.from({ length: to - from }, (_, i) => ({ s: from + i, value: perSecond })),
  })
  const series = [
    { metric: 'oauth_token' as const, rate: 10 },
    { metric: 'rs_request' as const, rate: 40, tags: { flow: 'api-call', target: 'rs1' } },
    {
      metric: 'rs_request' as const,
      rate: 10,
      failed: true,
      tags: { flow: 'api-call', target: 'rs1', status: '401', error: 'invalid_dpop_proof', reason: 'unknown' },
    },
    // a bearer flow: not a DPoP request, whatever it does
    { metric: 'rs_request' as const, rate: 40, tags: { flow: 'api-call-2', target: 'rs2' } },
  ]

  it('rates rejected proofs over the requests of the dpop flows only', () => {
    const r = buildRecord({
      scenario,
      series,
      counters: [counter({ flow: 'api-call', endpoint: 'api', target: 'rs1' }, 10)],
    })
    const v = slos.M12!.indicator(r, W)
    expect(v.total).toBe(600)
    expect(v.value).toBeCloseTo(100 / 600)
    expect(v.breakdown).toEqual({ 'rs:rs1': 100 })
    expect(scoreSlo(r, { id: 'M12' }, true).pass).toBe(false)
  })

  it('holds at zero rejections, and has no data without a dpop flow', () => {
    const clean = buildRecord({ scenario, series: series.slice(0, 2) })
    expect(slos.M12!.indicator(clean, W).value).toBe(0)
    expect(scoreSlo(clean, { id: 'M12' }, true).pass).toBe(true)
    const bearerOnly = buildRecord({
      scenario: { id: 'b', load: { flows: [{ flow: 'client-credentials' }] } },
      series,
      counters: [counter({ flow: 'client-credentials', endpoint: 'token', grant: 'client_credentials' }, 1)],
    })
    expect(slos.M12!.indicator(bearerOnly, W).value).toBeNull()
  })

  it('reads only the window, restricts to one RS, and leaves out counts of other flows', () => {
    const r = buildRecord({
      scenario,
      series,
      counters: [
        counter({ flow: 'api-call', endpoint: 'api', target: 'rs1' }, 10, 5, 10),
        counter({ flow: 'client-credentials', endpoint: 'token', grant: 'client_credentials' }, 2),
        // a flow the scenario does not run with dpop (a probe's or fault's traffic never reaches the load at all)
        counter({ flow: 'api-call-2', endpoint: 'api', target: 'rs2' }, 40),
      ],
    })
    expect(slos.M12!.indicator(r, [0, 5000]).breakdown).toEqual({ 'token:client_credentials': 10 })
    expect(slos.M12!.attribute!(r, [0, 5000], slos.M12!.indicator(r, [0, 5000]))).toBe(
      'honest DPoP proofs refused at the token endpoint (client_credentials) (100% of rejections)',
    )
    const rs1 = slos.M12!.indicator(r, W, 'rs1')
    expect(rs1.total).toBe(500)
    expect(rs1.value).toBeCloseTo(50 / 500)
    expect(slos.M12!.indicator(r, W, 'rs2').value).toBeNull()
  })

  it('names the RS and, from its events, the proof iat window, during the fault', () => {
    const r = buildRecord({
      scenario,
      series,
      counters: [
        counter({ flow: 'api-call', endpoint: 'api', target: 'rs1' }, 10),
        counter({ flow: 'client-credentials', endpoint: 'token', grant: 'client_credentials' }, 1),
      ],
      events: [
        { t: 3000, source: 'rs:rs1', type: 'token.rejected', data: { reason: 'dpop_iat', jti: null } },
        { t: 3100, source: 'rs:rs1', type: 'token.rejected', data: { reason: 'dpop_iat', jti: null } },
        { t: 3200, source: 'rs:rs1', type: 'token.rejected', data: { reason: 'expired', jti: null } },
      ],
      faults: [
        {
          index: 0,
          fault: 'dpop-client-clock-skew',
          params: { offset: '-30s' },
          injectedAt: 2000,
          revertedAt: 8000,
          status: 'reverted',
        },
      ],
    })
    const s = scoreSlo(r, { id: 'M12' }, true)
    expect(s.pass).toBe(false)
    expect(s.attribution).toMatch(
      /at RS rs1 \(91% of rejections\): proof iat outside the accepted window.*dpop-client-clock-skew/,
    )
  })

  it('is fed only by flows with dpop: true', () => {
    const fed = (dpop: boolean) =>
      isFed(slos.M12!.feeders, { load: { flows: [{ flow: 'api-call', dpop }] }, timeline: [] } as never)
    expect(fed(true)).toBe(true)
    expect(fed(false)).toBe(false)
  })
})
