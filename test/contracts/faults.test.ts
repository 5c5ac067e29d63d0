import type { TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { faults } from '../../src/faults/index.ts'
import type { Capability } from '../../src/faults/types.ts'
import { parseDuration } from '../../src/util/duration.ts'
import { comparableAsState, startTestStack, type TestStack } from '../integration/helpers/stack.ts'

const KNOWN: Capability[] = ['as-control', 'cdn', 'fault-proxy', 'rs-control', 'load-control']

function properties(schema: TSchema): Record<string, TSchema> {
  return (schema as { properties?: Record<string, TSchema> }).properties ?? {}
}

describe.each(Object.entries(faults))('fault %s', (key, fault) => {
  it('has an id that matches its registry key and a summary', () => {
    expect(fault.id).toBe(key)
    expect(fault.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/)
    expect(fault.summary.length).toBeGreaterThan(10)
    expect(parseDuration(fault.defaultDuration)).toBeGreaterThan(0)
  })

  it('describes every param', () => {
    for (const [name, prop] of Object.entries(properties(fault.params))) {
      expect(prop.description, `${key}.${name}`).toBeTruthy()
    }
  })

  it('needs only known capabilities, with its default params', () => {
    const params = Value.Default(fault.params, {})
    expect(Value.Check(fault.params, params)).toBe(true)
    for (const cap of fault.needs(params as never)) expect(KNOWN).toContain(cap)
  })

  it('refuses unknown params', () => {
    expect(Value.Check(fault.params, { ...(Value.Default(fault.params, {}) as object), bogus: 1 })).toBe(false)
  })
})

describe('faults against the reference stack', () => {
  let stack: TestStack
  beforeAll(async () => {
    stack = await startTestStack({ rs: [{ name: 'orders', profile: 'resilient' }], cdn: { ttl: '1s' }, proxy: true })
  })
  afterAll(async () => {
    await stack?.stop()
  })

  it.each(Object.keys(faults))(
    '%s: inject then revert restores the baseline, and a second revert is harmless',
    async (key) => {
      const fault = faults[key]!
      const params = Value.Default(fault.params, {}) as Record<string, unknown>
      const as = stack.targets.control.as!
      const rs = stack.targets.resourceServers[0]!.control!
      const before = comparableAsState(await as.state())
      const rsBefore = (await (rs as unknown as { state(): Promise<Record<string, unknown>> }).state()) as Record<
        string,
        unknown
      >
      const cdnStateBefore = await (
        await fetch(`${new URL(stack.targets.rsJwksUri).origin}/_cdn/state`, {
          headers: { authorization: 'Bearer test-admin-token-0123456789' },
        })
      ).json()
      const ctl = new AbortController()
      // the running load's control, as the runner hands it to faults: its clients' clock offset is baseline too
      let clientClockOffset = 0
      const load = {
        async setClientClockOffset(seconds: number) {
          clientClockOffset = seconds
        },
      }
      const active = await fault.inject({ ...stack.context(), load }, params as never, ctl.signal)
      await active.revert()
      await active.revert()
      expect(clientClockOffset).toBe(0)
      expect(comparableAsState(await as.state())).toEqual(before)
      const rsAfter = (await (rs as unknown as { state(): Promise<Record<string, unknown>> }).state()) as Record<
        string,
        unknown
      >
      expect(rsAfter.clockOffsetSeconds ?? null).toEqual(rsBefore.clockOffsetSeconds ?? null)
      const nonces = (s: Record<string, unknown>) => {
        const d = s.dpop as { nonceRequired?: boolean; nonceLifetimeMs?: number } | null | undefined
        return d ? { nonceRequired: d.nonceRequired, nonceLifetimeMs: d.nonceLifetimeMs } : null
      }
      expect(nonces(rsAfter)).toEqual(nonces(rsBefore))
      const cdnStateAfter = (await (
        await fetch(`${new URL(stack.targets.rsJwksUri).origin}/_cdn/state`, {
          headers: { authorization: 'Bearer test-admin-token-0123456789' },
        })
      ).json()) as { config: unknown }
      expect(cdnStateAfter.config).toEqual((cdnStateBefore as { config: unknown }).config)
      if (stack.targets.control.proxy) expect(await stack.targets.control.proxy.listToxics()).toEqual([])
    },
  )
})
