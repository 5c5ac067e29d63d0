/**
 * DPoP proof clocks against a real stack (mock-as issuing DPoP-bound tokens,
 * a resilient mock-rs and a dpop-strict-clock one): the
 * `dpop-client-clock-skew` fault moves the proof clock of the running
 * embedded engine's clients, so the strict RS refuses their proofs for the
 * fault's window only and the resilient one never does; the
 * `dpop-iat-window` probe measures each RS's proof-age window with marked
 * requests and compares it with what the RS declares.
 */
import { Value } from '@sinclair/typebox/value'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { faults } from '../../src/faults/index.ts'
import { engines } from '../../src/load/index.ts'
import { probes } from '../../src/probes/index.ts'
import type { FlowConfig, LoadConfig } from '../../src/scenario/schema.ts'
import { startTestStack, type TestStack } from './helpers/stack.ts'

function flow(x: Partial<FlowConfig>): FlowConfig {
  return {
    executor: 'constant-arrival-rate',
    rate: 20,
    startRate: 0,
    timeUnit: '1s',
    preAllocatedVUs: 4,
    startTime: '0s',
    clients: 2,
    timeout: '5s',
    dpop: true,
    ...x,
  } as FlowConfig
}

describe('DPoP proof clocks', () => {
  let stack: TestStack
  beforeAll(async () => {
    stack = await startTestStack({
      rs: [
        { name: 'resilient', profile: 'resilient' },
        { name: 'strict', profile: 'dpop-strict-clock' },
        { name: 'bearer-only', profile: 'strict-clock' },
        { name: 'nonces', profile: 'resilient', knobs: { dpopNonce: true } },
      ],
    })
  })
  afterAll(async () => {
    await stack?.stop()
  })

  it('dpop-client-clock-skew: the running clients sign 30 s old proofs for its window; only the 5 s RS refuses them', async () => {
    const plan: LoadConfig = {
      duration: '6s',
      warmup: '0s',
      gracefulStop: '2s',
      flows: [flow({ flow: 'api-call', target: 'resilient' }), flow({ flow: 'api-call', target: 'strict' })],
    }
    const prepared = await engines.embedded!.prepare!(plan, stack.targets, {
      signal: new AbortController().signal,
      seed: 3,
    })
    expect(prepared.control).toBeDefined()
    const fault = faults['dpop-client-clock-skew']!
    const params = Value.Default(fault.params, {}) as { offset: string }
    expect(params.offset).toBe('-30s')
    const t0 = Date.now() + 200
    const result = prepared.start(t0)
    await new Promise((r) => setTimeout(r, t0 + 1500 - Date.now()))
    const active = await fault.inject(
      { ...stack.context(), load: prepared.control! },
      params as never,
      AbortSignal.timeout(5000),
    )
    const injectedS = Math.floor((Date.now() - t0) / 1000)
    expect(active.details).toEqual({ offsetSeconds: -30 })
    await new Promise((r) => setTimeout(r, 2000))
    await active.revert()
    const revertedS = Math.ceil((Date.now() - t0) / 1000)
    await active.revert()
    const r = await result

    const rejections = r.counters.filter((c) => c.name === 'dpop_proof_rejections')
    expect(rejections.map((c) => c.tags.target)).toEqual(['strict'])
    const seconds = rejections.flatMap((c) => c.values.filter((v) => v.value > 0).map((v) => v.s))
    expect(seconds.length).toBeGreaterThan(0)
    // proofs are refused only while the fault holds (a request in flight at the revert may land a second later)
    expect(Math.min(...seconds)).toBeGreaterThanOrEqual(injectedS)
    expect(Math.max(...seconds)).toBeLessThanOrEqual(revertedS)
    const refused = r.series.filter((s) => s.metric === 'rs_request' && s.failed)
    expect(new Set(refused.map((s) => `${s.tags.target} ${s.tags.status} ${s.tags.error}`))).toEqual(
      new Set(['strict 401 invalid_dpop_proof']),
    )
    // the AS (60 s past) took the old proofs: every token request succeeded
    expect(r.series.filter((s) => s.metric === 'oauth_token' && s.failed)).toEqual([])
    // the strict RS served the load before and after the window
    const served = r.series.filter((s) => s.metric === 'rs_request' && !s.failed && s.tags.target === 'strict')
    const servedSeconds = served.flatMap((s) => s.buckets.map((b) => b.s))
    expect(servedSeconds.some((s) => s < injectedS)).toBe(true)
    expect(servedSeconds.some((s) => s > revertedS)).toBe(true)
    const stats = await stack.targets.resourceServers[1]!.control!.stats()
    expect((stats.dpopRejections as Record<string, number>).iat).toBeGreaterThan(0)
  })

  it('dpop-client-clock-skew refuses to run without a load control, and a bad offset', async () => {
    const fault = faults['dpop-client-clock-skew']!
    await expect(
      fault.inject(stack.context(), { offset: '-30s' } as never, AbortSignal.timeout(1000)),
    ).rejects.toMatchObject({
      code: 'ERR_CAPABILITY_MISSING',
    })
    expect(Value.Check(fault.params, { offset: '30' })).toBe(false)
    expect(Value.Check(fault.params, { offset: '+1m30s' })).toBe(true)
  })

  it('dpop-iat-window: measures each DPoP RS window in both directions, with marked requests, against what it declares', async () => {
    const probe = probes['dpop-iat-window']!
    const params = Value.Default(probe.params, {})
    const before = await stack.targets.resourceServers[1]!.control!.stats()
    const out = await probe.run(stack.context(), params as never, AbortSignal.timeout(30_000))
    expect(out.status).toBe('ok')
    const b = out.breakdown as Record<string, number | null | boolean>
    // resilient: 60 s past, 10 s future; strict: 5 s each way (within the search's 1 s resolution, iat in whole seconds)
    expect(b['resilient.past']).toBeGreaterThanOrEqual(59)
    expect(b['resilient.past']).toBeLessThanOrEqual(61)
    expect(b['resilient.future']).toBeGreaterThanOrEqual(9)
    expect(b['resilient.future']).toBeLessThanOrEqual(11)
    expect(b['strict.past']).toBeGreaterThanOrEqual(4)
    expect(b['strict.past']).toBeLessThanOrEqual(6)
    expect(b['strict.future']).toBeGreaterThanOrEqual(4)
    expect(b['strict.future']).toBeLessThanOrEqual(6)
    expect(b['strict.declaredPast']).toBe(5)
    expect(b['strict.declaredFuture']).toBe(5)
    expect(b['strict.matchesDeclared']).toBe(true)
    // an RS that wants its own nonce (§9) is measured the same: the challenge is answered once per proof
    expect(b['nonces.past']).toBeGreaterThanOrEqual(59)
    expect(b['nonces.future']).toBeGreaterThanOrEqual(9)
    expect(b['nonces.matchesDeclared']).toBe(true)
    // a bearer-only RS (dpop: ignore) has no proof window to measure
    expect(b['bearer-only.past']).toBeUndefined()
    expect(out.value).toBe(
      Math.min(
        ...['resilient', 'strict', 'nonces'].flatMap((rs) => [b[`${rs}.past`] as number, b[`${rs}.future`] as number]),
      ),
    )
    const after = await stack.targets.resourceServers[1]!.control!.stats()
    // every refusal it caused is counted as probe traffic, none as load
    expect(after.dpopRejections).toEqual(before.dpopRejections)
    expect((after.probeDpopRejections as Record<string, number>).iat).toBeGreaterThan(0)
  })
})
