import type { TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { describe, expect, it } from 'vitest'
import type { Capability } from '../../src/faults/types.ts'
import { probes } from '../../src/probes/index.ts'
import { parseDuration } from '../../src/util/duration.ts'

const KNOWN: Capability[] = ['as-control', 'cdn', 'fault-proxy', 'rs-control', 'load-control']

function properties(schema: TSchema): Record<string, TSchema> {
  return (schema as { properties?: Record<string, TSchema> }).properties ?? {}
}

describe.each(Object.entries(probes))('probe %s', (key, probe) => {
  it('has an id that matches its registry key and a summary', () => {
    expect(probe.id).toBe(key)
    expect(probe.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/)
    expect(probe.summary.length).toBeGreaterThan(10)
  })

  it('describes every param', () => {
    for (const [name, prop] of Object.entries(properties(probe.params)))
      expect(prop.description, `${key}.${name}`).toBeTruthy()
  })

  it('is bounded by a timeout param with a default', () => {
    const params = Value.Default(probe.params, {}) as { timeout?: string }
    expect(Value.Check(probe.params, params)).toBe(true)
    expect(parseDuration(params.timeout ?? '')).toBeGreaterThan(0)
  })

  it('needs only known capabilities', () => {
    for (const cap of probe.needs(Value.Default(probe.params, {}) as never)) expect(KNOWN).toContain(cap)
  })
})
