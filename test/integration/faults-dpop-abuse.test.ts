/**
 * The DPoP abuse faults against a real stack (mock-as issuing DPoP-bound
 * tokens, three mock-rs profiles): `stolen-dpop-token` and
 * `dpop-proof-replay` record one finding per RS and attack, accepted only
 * where the weak profile lets it through, and S2 counts them per RS.
 */
import { Value } from '@sinclair/typebox/value'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { faults } from '../../src/faults/index.ts'
import type { FaultWindow } from '../../src/record/index.ts'
import { scoreSlo } from '../../src/slo/score.ts'
import { buildRecord } from '../fixtures/records/build.ts'
import { startTestStack, type TestStack } from './helpers/stack.ts'

async function inject(stack: TestStack, id: string, params: Record<string, unknown> = {}) {
  const fault = faults[id]!
  const filled = Value.Default(fault.params, params)
  expect(Value.Check(fault.params, filled)).toBe(true)
  const ctx = stack.context()
  const active = await fault.inject(ctx, filled as never, new AbortController().signal)
  await active.revert()
  await active.revert()
  return { details: active.details as { findings: Array<Record<string, unknown>>; unattacked: string[] }, ctx }
}

const accepted = (findings: Array<Record<string, unknown>>) =>
  findings
    .filter((f) => f.accepted)
    .map((f) => `${f.rs} ${f.attack}`)
    .sort()

describe('DPoP abuse faults', () => {
  let stack: TestStack
  beforeAll(async () => {
    stack = await startTestStack({
      rs: [
        { name: 'resilient', profile: 'resilient' },
        { name: 'gateway', profile: 'dpop-as-bearer' },
        { name: 'forgetful', profile: 'dpop-no-replay-cache' },
      ],
    })
  })
  afterAll(async () => {
    await stack?.stop()
  })

  it('stolen-dpop-token: only dpop-as-bearer accepts the stolen token, with the thief key and as bearer', async () => {
    const { details, ctx } = await inject(stack, 'stolen-dpop-token')
    expect(details.unattacked).toEqual([])
    expect(details.findings.map((f) => `${f.rs} ${f.attack}`)).toEqual([
      'resilient dpop-stolen-other-key',
      'resilient dpop-downgrade-bearer',
      'gateway dpop-stolen-other-key',
      'gateway dpop-downgrade-bearer',
      'forgetful dpop-stolen-other-key',
      'forgetful dpop-downgrade-bearer',
    ])
    expect(accepted(details.findings)).toEqual(['gateway dpop-downgrade-bearer', 'gateway dpop-stolen-other-key'])
    expect(details.findings.find((f) => f.rs === 'resilient' && f.attack === 'dpop-stolen-other-key')).toMatchObject({
      status: 401,
      challenge: 'invalid_dpop_proof',
    })
    expect(JSON.stringify(details)).not.toMatch(/eyJ/)
    expect(
      ctx
        .events()
        .filter((e) => e.type === 'attack.accepted')
        .map((e) => e.data?.rs),
    ).toEqual(['gateway', 'gateway'])
  })

  it('dpop-proof-replay: only dpop-no-replay-cache and dpop-as-bearer take the captured proof again', async () => {
    const { details } = await inject(stack, 'dpop-proof-replay', { replays: 2 })
    expect(details.unattacked).toEqual([])
    expect(details.findings.map((f) => f.rs)).toEqual(['resilient', 'gateway', 'forgetful'])
    expect(accepted(details.findings)).toEqual(['forgetful dpop-proof-replay', 'gateway dpop-proof-replay'])
  })

  it('marks its traffic as probe traffic: the resilient RS counts its refusals under source probe, none under load', async () => {
    await inject(stack, 'stolen-dpop-token', { target: 'resilient' })
    await inject(stack, 'dpop-proof-replay', { target: 'resilient' })
    const rs = stack.targets.resourceServers.find((r) => r.name === 'resilient')!
    const stats = (await rs.control!.stats()) as {
      dpopRejections: unknown
      probeDpopRejections: Record<string, number>
    }
    expect(stats.dpopRejections).toEqual({})
    expect(Object.keys(stats.probeDpopRejections).sort()).toEqual(['bearer_downgrade', 'jkt', 'replay'])
  })

  it('S2 counts the faults findings per RS and names the dpop- attacks, and fails when an RS was not attacked', async () => {
    const { details } = await inject(stack, 'stolen-dpop-token', { target: 'gateway' })
    const window: FaultWindow = {
      index: 0,
      fault: 'stolen-dpop-token',
      params: {},
      injectedAt: 1000,
      revertedAt: 2000,
      status: 'reverted',
      details,
    }
    const record = buildRecord({ faults: [window] })
    const s = scoreSlo(record, { id: 'S2' }, true)
    expect(s).toMatchObject({ measured: 2, pass: false, firstBrokeAt: 1000 })
    expect(s.attribution).toContain('gateway accepted dpop-stolen-other-key, dpop-downgrade-bearer')
    expect(s.attribution).toContain('#dpop-binding')
    const refusedOne = { rs: 'resilient', attack: 'dpop-proof-replay', applicable: true, accepted: false, status: 401 }
    const refused = {
      ...window,
      details: { findings: [refusedOne], unattacked: ['gateway: the honest DPoP request was refused (status 401)'] },
    }
    const r2 = scoreSlo(buildRecord({ faults: [refused] }), { id: 'S2' }, true)
    expect(r2.pass).toBe(false)
    expect(r2.attribution).toContain('honest DPoP request was refused')
  })
})
