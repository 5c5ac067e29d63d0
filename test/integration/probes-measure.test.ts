import { Value } from '@sinclair/typebox/value'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { probes } from '../../src/probes/index.ts'
import type { ProbeOutcome } from '../../src/probes/types.ts'
import { startTestStack, type TestStack } from './helpers/stack.ts'

async function runProbe(stack: TestStack, id: string, params: Record<string, unknown> = {}): Promise<ProbeOutcome> {
  const probe = probes[id]!
  const filled = Value.Default(probe.params, params)
  expect(Value.Check(probe.params, filled)).toBe(true)
  return probe.run(stack.context(), filled as never, new AbortController().signal)
}

describe('probes against mock-as and mock-rs', () => {
  let stack: TestStack
  let noReuse: TestStack
  beforeAll(async () => {
    ;[stack, noReuse] = await Promise.all([
      startTestStack({
        rs: [
          { name: 'resilient', profile: 'resilient' },
          { name: 'strict', profile: 'strict-clock' },
          { name: 'introspect', profile: 'no-introspection-cache' },
          { name: 'cached', profile: 'long-introspection-cache' },
        ],
      }),
      startTestStack({ as: { refreshReuseDetection: false }, rs: [{ name: 'orders', profile: 'resilient' }] }),
    ])
  })
  afterAll(async () => {
    await Promise.all([stack?.stop(), noReuse?.stop()])
  })

  it('pkce-enforcement finds PKCE enforced by mock-as', async () => {
    const r = await runProbe(stack, 'pkce-enforcement')
    expect(r.breakdown).toEqual({
      noChallengeRefused: true,
      plainRefused: true,
      wrongVerifierRefused: true,
      controlSucceeded: true,
    })
    expect(r.value).toBe(true)
  })

  it('refresh-reuse-detection passes with reuse detection and fails without it', async () => {
    const good = await runProbe(stack, 'refresh-reuse-detection', { honestClients: 2 })
    expect(good.breakdown).toMatchObject({
      replayRefused: true,
      familyRevoked: true,
      attackerSuccessesAfterDetection: 0,
      falsePositives: 0,
    })
    expect(good.value).toBe(true)
    const bad = await runProbe(noReuse, 'refresh-reuse-detection', { honestClients: 1 })
    expect(bad.value).toBe(false)
    expect(bad.breakdown?.familyRevoked).toBe(false)
    expect(bad.breakdown?.attackerSuccessesAfterDetection as number).toBeGreaterThan(0)
  })

  it('revocation-propagation: an uncached introspecting RS rejects at once, a long cache does not within the timeout', async () => {
    const r = await runProbe(stack, 'revocation-propagation', { timeout: '3s', target: 'introspect' })
    expect(r.status).toBe('ok')
    expect(r.value as number).toBeLessThan(1000)
    const cached = await runProbe(stack, 'revocation-propagation', { timeout: '2s', target: 'cached' })
    expect(cached.status).toBe('timeout')
    expect(cached.value).toBeNull()
    expect(cached.breakdown?.['cached.servedAfterRevocation'] as number).toBeGreaterThan(0)
  })

  it('clock-skew-tolerance measures about 30 s for resilient and about 0 s for strict-clock', async () => {
    const r = await runProbe(stack, 'clock-skew-tolerance', { maxOffsetSeconds: 120, steps: 8, target: 'resilient' })
    expect(r.status).toBe('ok')
    expect(r.breakdown?.['resilient.ahead'] as number).toBeGreaterThanOrEqual(27)
    expect(r.breakdown?.['resilient.ahead'] as number).toBeLessThanOrEqual(33)
    expect(r.breakdown?.['resilient.declared']).toBe(30)
    const s = await runProbe(stack, 'clock-skew-tolerance', { maxOffsetSeconds: 120, steps: 8, target: 'strict' })
    expect(s.breakdown?.['strict.ahead'] as number).toBeLessThanOrEqual(3)
    expect(s.breakdown?.['strict.declared']).toBe(0)
    expect((await stack.targets.control.as!.state()).clockOffsetSeconds).toBe(0)
  })
})
