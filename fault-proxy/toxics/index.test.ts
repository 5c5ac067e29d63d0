import type { TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { describe, expect, it } from 'vitest'
import { toxics } from './index.ts'

// a numeric attribute names its unit, unless it is a count, a status code or a ratio
const UNITLESS = new Set(['status', 'ratio', 'rate', 'burst'])

describe.each(Object.entries(toxics))('toxic %s', (key, def) => {
  it('is registered under its type', () => {
    expect(def.type).toBe(key)
    expect(def.summary.length).toBeGreaterThan(10)
  })

  it('describes every attribute and names the unit of every number', () => {
    const props = def.params.properties as Record<string, TSchema & { description?: string; type?: string }>
    for (const [name, schema] of Object.entries(props)) {
      expect(schema.description, `${key}.${name}`).toBeTruthy()
      if ((schema.type === 'number' || schema.type === 'integer') && !UNITLESS.has(name)) {
        expect(name, `${key}.${name}`).toMatch(/(Ms|Seconds|PerSecond)$/)
      }
    }
  })

  it('refuses unknown attributes and fills defaults', () => {
    expect(Value.Check(def.params, { surely_not_an_attribute: 1 })).toBe(false)
    expect(Value.Check(def.params, Value.Default(def.params, {}))).toBe(true)
  })
})
