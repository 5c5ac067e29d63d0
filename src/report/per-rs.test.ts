import { describe, expect, it } from 'vitest'
import { buildRecord } from '../../test/fixtures/records/build.ts'
import { multiRsRun } from '../../test/fixtures/records/multi-rs.ts'
import { scoreRun } from '../slo/score.ts'
import { rsFacts } from './per-rs.ts'

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
    const [a, b] = rsFacts(record, scoreRun(record, [{ id: 'M3' }], []))
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
  })
})
