import { randomBytes } from 'node:crypto'
import { Value } from '@sinclair/typebox/value'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { faults } from '../../src/faults/index.ts'
import { callResource } from '../../src/oauth/client.ts'
import { probes } from '../../src/probes/index.ts'
import { startTestStack, type TestStack } from './helpers/stack.ts'

describe('jwks-refresh-latency and fail-open', () => {
  let rot: TestStack
  let intro: TestStack
  beforeAll(async () => {
    ;[rot, intro] = await Promise.all([
      startTestStack({
        rs: [
          { name: 'resilient', profile: 'resilient' },
          { name: 'fixed', profile: 'fixed-ttl' },
        ],
      }),
      startTestStack({
        rs: [
          { name: 'open', profile: 'fail-open' },
          { name: 'closed', profile: 'no-introspection-cache' },
        ],
      }),
    ])
  })
  afterAll(async () => {
    await Promise.all([rot?.stop(), intro?.stop()])
  })

  it('measures a quick acceptance on resilient and none on fixed-ttl after sign-before-publish', async () => {
    const probe = probes['jwks-refresh-latency']!
    const ctx = rot.context()
    const ctl = new AbortController()
    const running = probe.run(
      ctx,
      Value.Default(probe.params, { timeout: '12s', intervalMs: 200 }) as never,
      ctl.signal,
    )
    await new Promise((r) => setTimeout(r, 500))
    const fault = faults['bad-key-rotation']!
    const active = await fault.inject(
      ctx,
      Value.Default(fault.params, { mode: 'sign-before-publish', unpublishedFor: '2s' }) as never,
      ctl.signal,
    )
    const r = await running
    await active.revert()
    expect(r.breakdown?.resilient as number).toBeGreaterThan(0)
    // published after 2 s; resilient refetches on the unknown kid once its 5 s cooldown allows (slack for a busy machine)
    expect(r.breakdown?.resilient as number).toBeLessThan(9000)
    expect(r.status).toBe('timeout')
    expect(r.error).toContain('fixed')
    expect(r.value).toBeNull()
    expect(r.breakdown?.fixed as number).toBeGreaterThan(r.breakdown?.resilient as number)
  })

  it('counts fail-open acceptances during an introspection outage, and none on a fail-closed RS', async () => {
    const fault = faults['introspection-rate-limit']!
    const ctx = intro.context()
    const ctl = new AbortController()
    const active = await fault.inject(
      ctx,
      Value.Default(fault.params, { ratePerSecond: 0.01, burst: 1 }) as never,
      ctl.signal,
    )
    try {
      // load (unmarked) that the open RS lets through: the probe's passive count is exactly these
      const open = intro.targets.resourceServers.find((r) => r.name === 'open')!
      let loadAccepted = 0
      for (let i = 0; i < 3; i++) {
        const res = await callResource(open.apiUrl, randomBytes(32).toString('base64url'))
        if (res.status === 200) loadAccepted++
      }
      expect(loadAccepted).toBeGreaterThan(0)
      const probe = probes['fail-open']!
      const r = await probe.run(
        ctx,
        Value.Default(probe.params, { timeout: '2s', intervalMs: 100 }) as never,
        ctl.signal,
      )
      expect(r.breakdown?.['open.active'] as number).toBeGreaterThan(0)
      expect(r.breakdown?.['closed.active']).toBe(0)
      // the probe's own (marked) acceptances are counted once, as active, never again as passive
      expect(r.breakdown?.['open.passive']).toBe(loadAccepted)
      expect(r.value).toBe(loadAccepted + (r.breakdown?.['open.active'] as number))
    } finally {
      await active.revert()
    }
  })
})
