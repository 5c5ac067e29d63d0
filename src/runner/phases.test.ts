import { describe, expect, it } from 'vitest'
import { PHASES, phaseStarts } from './phases.ts'

describe('phases', () => {
  it('lists every phase of a record once, in the order a run goes through them', () => {
    expect(PHASES.map((p) => p.name)).toEqual([
      'preflight',
      'warmup',
      'steady-state-before',
      'method',
      'recovery',
      'steady-state-after',
      'score',
      'report',
    ])
  })

  it('starts the steady state after the warm-up and the method at the first fault, never before the warm-up ends', () => {
    expect(phaseStarts(5_000, 20_000)).toEqual([
      { name: 'steady-state-before', at: 5_000 },
      { name: 'method', at: 20_000 },
    ])
    expect(phaseStarts(5_000, 2_000)).toEqual([
      { name: 'steady-state-before', at: 5_000 },
      { name: 'method', at: 5_000 },
    ])
    expect(phaseStarts(5_000, undefined)).toEqual([{ name: 'steady-state-before', at: 5_000 }])
  })
})
