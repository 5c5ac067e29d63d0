import { describe, expect, it } from 'vitest'
import { buildRecord } from '../../test/fixtures/records/build.ts'
import { multiRsRun } from '../../test/fixtures/records/multi-rs.ts'
import { parseScenario } from '../scenario/load.ts'
import { scoreRun } from '../slo/score.ts'
import { markdown } from './markdown.ts'
import { recoveryPhrase, rsFacts } from './per-rs.ts'

describe('rsFacts', () => {
  it('tells per RS when it first rejected, why, and when it was back under the objective', () => {
    const { record, verdict } = multiRsRun()
    const [orders, billing, payments] = rsFacts(record, verdict)
    expect(orders).toMatchObject({
      rs: 'orders',
      label: 'resilient',
      acceptedFault: 1,
      acceptedAfter: 1,
      jwksRefreshMs: 106,
    })
    expect(orders!.firstRejection).toBeUndefined()
    expect(billing).toMatchObject({
      label: 'jose-defaults',
      acceptedFault: 0.2,
      firstRejection: { at: 10_000, reason: 'validator_unavailable' },
      recoverFrom: { at: 20_000, what: 'revert' },
      recoveredAt: 24_000,
      jwksRefreshMs: 6600,
    })
    expect(payments).toMatchObject({
      label: 'payments API (express-oauth2-jwt-bearer)',
      firstRejection: { at: 11_000, reason: 'unknown_kid' },
      recoveredAt: 13_000,
      jwksRefreshMs: null,
    })
  })

  it('says never when an RS is still over the objective at the end, and reads revocation and skew per RS', () => {
    const record = buildRecord({
      durationMs: 10_000,
      targets: {
        issuer: 'http://127.0.0.1:4000',
        resourceServers: [
          { name: 'a', url: 'http://127.0.0.1:4100' },
          { name: 'b', url: 'http://127.0.0.1:4101', profile: 'fixed-ttl' },
        ],
      },
      series: [
        { metric: 'rs_request', tags: { target: 'a' }, rate: 10 },
        { metric: 'rs_request', tags: { target: 'b' }, rate: 10 },
        {
          metric: 'rs_request',
          tags: { target: 'b', status: '401', reason: 'expired' },
          failed: true,
          rate: 2,
          from: 3,
          to: 10,
        },
        // deliberate traffic is not a rejection of a valid token
        {
          metric: 'rs_request',
          tags: { target: 'a', status: '401', reason: 'inactive', token: 'revoked' },
          failed: true,
          rate: 5,
        },
      ],
      faults: [{ index: 0, fault: 'clock-skew', params: {}, injectedAt: 3000, revertedAt: 6000, status: 'reverted' }],
      windows: { fault: [3000, 6000], recovery: [6000, 10_000] },
      probes: [
        {
          index: 1,
          probe: 'revocation-propagation',
          name: 'revocation propagation (max over RSs)',
          status: 'timeout',
          value: null,
          unit: 'ms',
          breakdown: { a: 40, b: 9000, 'b.timedOut': true },
          observations: [],
          startedAt: 0,
          endedAt: 9000,
        },
        {
          index: 2,
          probe: 'clock-skew-tolerance',
          name: 'clock skew tolerated',
          status: 'ok',
          value: 0,
          unit: 's',
          breakdown: { 'a.ahead': 30, 'a.behind': 29, 'b.ahead': 0, 'b.behind': 0 },
          observations: [],
          startedAt: 0,
          endedAt: 1000,
        },
      ],
    })
    const [a, b] = rsFacts(record, scoreRun(record, [{ id: 'M3' }, { id: 'M5' }], []))
    expect(a).toMatchObject({ label: 'external', acceptedFault: 1, revocationMs: 40, skew: { ahead: 30, behind: 29 } })
    expect(a!.firstRejection).toBeUndefined()
    expect(b).toMatchObject({
      label: 'fixed-ttl',
      firstRejection: { at: 3000, reason: 'expired' },
      recoveredAt: null,
      revocationMs: null,
      skew: { ahead: 0, behind: 0 },
    })
    expect(b!.acceptedAfter).toBeCloseTo(40 / 48)
    // M5 broke at b (its revoked token was never rejected): never back, measured from the revocation
    expect(b!.recoveries).toContainEqual({
      slo: 'M5',
      objective: 'max<30s',
      from: { at: 0, what: 'revocation' },
      recoveredAt: null,
    })
    expect(a!.recoveries).toEqual([])
  })
})

describe('rsFacts recoveries', () => {
  /** One RS, 10 s, a fault 2–5 s: half its valid tokens rejected in 3–5 s, a tenth in 6–7 s, none after. */
  function tailing() {
    return buildRecord({
      durationMs: 10_000,
      targets: { issuer: 'http://127.0.0.1:4000', resourceServers: [{ name: 'a', url: 'http://127.0.0.1:4100' }] },
      series: [
        { metric: 'rs_request', tags: { target: 'a' }, rate: 10, from: 0, to: 3 },
        { metric: 'rs_request', tags: { target: 'a' }, rate: 5, from: 3, to: 6 },
        { metric: 'rs_request', tags: { target: 'a' }, rate: 9, from: 6, to: 8 },
        { metric: 'rs_request', tags: { target: 'a' }, rate: 10, from: 8, to: 10 },
        {
          metric: 'rs_request',
          tags: { target: 'a', status: '401', reason: 'unknown_kid' },
          failed: true,
          rate: 5,
          from: 3,
          to: 6,
        },
        {
          metric: 'rs_request',
          tags: { target: 'a', status: '401', reason: 'unknown_kid' },
          failed: true,
          rate: 1,
          from: 6,
          to: 8,
        },
      ],
      faults: [{ index: 0, fault: 'jwks-outage', params: {}, injectedAt: 2000, revertedAt: 5000, status: 'reverted' }],
      windows: { fault: [2000, 5000], recovery: [5000, 10_000] },
    })
  }

  it("measures recovery against each SLO's own objective: a looser M3 is back sooner", () => {
    const record = tailing()
    const strict = rsFacts(record, scoreRun(record, [{ id: 'M3' }], []))[0]!
    const loose = rsFacts(record, scoreRun(record, [{ id: 'M3', objective: 'rate<0.15' }], []))[0]!
    expect(strict.recoveries).toEqual([
      { slo: 'M3', objective: 'rate<0.001', from: { at: 5000, what: 'revert' }, recoveredAt: 8000 },
    ])
    expect(loose.recoveries).toEqual([
      { slo: 'M3', objective: 'rate<0.15', from: { at: 5000, what: 'revert' }, recoveredAt: 6000 },
    ])
    expect(recoveryPhrase(strict.recoveries[0]!)).toBe('3.0s after revert (at 8.0s)')
  })

  it('tells S1 per RS: back once no fail-open acceptance is seen, never when the last second still had one', () => {
    const record = tailing()
    record.targets.resourceServers.push({ name: 'b', url: 'http://127.0.0.1:4101' })
    record.load.series.push(
      ...buildRecord({ series: [{ metric: 'rs_request', tags: { target: 'b' }, rate: 10 }] }).load.series,
    )
    record.events.push(
      { t: 3200, source: 'rs:a', type: 'fail_open.accepted' },
      { t: 4500, source: 'rs:a', type: 'fail_open.accepted' },
      { t: 9500, source: 'rs:b', type: 'fail_open.accepted' },
    )
    const facts = rsFacts(record, scoreRun(record, [{ id: 'S1' }], []))
    expect(facts.map((f) => [f.rs, f.recoveries])).toEqual([
      ['a', [{ slo: 'S1', objective: 'count==0', from: { at: 5000, what: 'revert' }, recoveredAt: 5000 }]],
      ['b', [{ slo: 'S1', objective: 'count==0', from: { at: 5000, what: 'revert' }, recoveredAt: null }]],
    ])
    expect(recoveryPhrase(facts[1]!.recoveries[0]!)).toBe('never')
  })

  it('tells M9 and M5 from the probe: publication or revocation plus the RS figure, never when it timed out', () => {
    const { record, verdict } = multiRsRun()
    const payments = rsFacts(record, verdict).find((f) => f.rs === 'payments')!
    expect(payments.recoveries.find((r) => r.slo === 'M9')).toEqual({
      slo: 'M9',
      objective: 'max<10s',
      from: { at: 11_050, what: 'key publication' },
      recoveredAt: null,
    })
    // billing's 6.6 s is under M9's 10 s: nothing to recover from
    expect(
      rsFacts(record, verdict)
        .find((f) => f.rs === 'billing')!
        .recoveries.map((r) => r.slo),
    ).toEqual(['M3'])
    const slow = rsFacts(record, scoreRun(record, [{ id: 'M9', objective: 'max<5s' }], []))
    expect(slow.find((f) => f.rs === 'billing')!.recoveries).toEqual([
      { slo: 'M9', objective: 'max<5s', from: { at: 11_050, what: 'key publication' }, recoveredAt: 17_650 },
    ])
  })
})

describe('rsFacts label', () => {
  it("names each RS by its entry's description, else its profile, else external — from the scenario as validated", async () => {
    const { scenario } = parseScenario(
      [
        'id: labels',
        'title: labels',
        'stack:',
        '  authorizationServer: {}',
        '  resourceServers:',
        '    - { name: orders, profile: resilient, description: "orders API, cache 5 min" }',
        '    - { name: billing, profile: jose-defaults }',
        '    - { name: theirs, url: "http://127.0.0.1:4102/api" }',
        'load:',
        '  duration: 10s',
        '  flows: [{ flow: api-call, target: orders, executor: constant-arrival-rate, rate: 5 }]',
      ].join('\n'),
      'labels.yaml',
      { skipSecrets: true },
    )
    const record = buildRecord({
      scenario,
      targets: {
        issuer: 'http://127.0.0.1:4000',
        resourceServers: [
          { name: 'orders', url: 'http://127.0.0.1:4100/api', profile: 'resilient' },
          { name: 'billing', url: 'http://127.0.0.1:4101/api', profile: 'jose-defaults' },
          { name: 'theirs', url: 'http://127.0.0.1:4102/api' },
        ],
      },
      series: [{ metric: 'rs_request', tags: { target: 'orders' }, rate: 5 }],
    })
    const verdict = scoreRun(record, [], [])
    expect(rsFacts(record, verdict).map((f) => f.label)).toEqual([
      'orders API, cache 5 min',
      'jose-defaults',
      'external',
    ])
    const md = (await markdown.render(record, verdict))[0]!.content as string
    expect(md).toContain('| orders | orders API, cache 5 min |')
    expect(md).toContain('| theirs | external |')
  })
})
