import { describe, expect, it } from 'vitest'
import { flatness, type SoakSample } from '../../bench/curves/soak.ts'
import { BUDGET_S, budgetLines } from '../../bench/run.ts'

const groups = [
  { id: 'a1', group: 'as' },
  { id: 'e1', group: 'engine' },
  { id: 'e2', group: 'engine' },
]

describe('bench budget', () => {
  it('sums the seconds per group and says when the whole bench is over its budget', () => {
    const lines = budgetLines(groups, { a1: 100, e1: 600, e2: BUDGET_S })
    expect(lines).toContain('  engine: 1800 s')
    expect(lines.at(-1)).toMatch(/^default bench total: 1900 s, OVER BUDGET/)
    expect(budgetLines(groups, { a1: 100, e1: 200, e2: 300 }).at(-1)).toBe(
      `default bench total: 600 s, within budget (${BUDGET_S} s)`,
    )
  })

  it('estimates a group rerun from the seconds recorded for the others, and names what was never timed', () => {
    const lines = budgetLines(groups, { e1: 50, e2: 50 }, { a1: 1500 })
    expect(lines[0]).toBe('  as: 1500 s (partly from the last recorded run)')
    expect(lines.at(-1)).toMatch(/^default bench estimated: 1600 s, OVER BUDGET/)
    expect(budgetLines(groups, { e1: 50, e2: 50 })[0]).toContain('never timed')
  })

  it('counts no opt-in benchmark, measured or recorded, in the default bench', () => {
    const withOptIn = [
      ...groups,
      { id: 'soak', group: 'soak', optIn: '--soak' },
      { id: 'default-suite', group: 'suite', optIn: '--suite' },
    ]
    const lines = budgetLines(withOptIn, { a1: 100, e1: 200, e2: 300, soak: 600 }, { 'default-suite': 670 })
    expect(lines.at(-1)).toBe(`default bench total: 600 s, within budget (${BUDGET_S} s)`)
    expect(lines.join('\n')).not.toMatch(/soak|suite/)
  })
})

describe('soak flatness', () => {
  const samples = (f: (t: number) => number): SoakSample[] =>
    Array.from({ length: 60 }, (_, t) => ({ t, harnessRssMb: f(t), asRssMb: 1, recordBytes: 1, rate: 1 }))

  it('finds a flat figure flat after the warm-up, whatever it did during it', () => {
    const f = flatness(
      samples((t) => (t < 12 ? 50 + t * 10 : 200)),
      12,
      (s) => s.harnessRssMb,
    )
    expect(f.growth).toBe(1)
    expect(f.slopePerMin).toBeCloseTo(0, 6)
  })

  it('sees a leak after the warm-up as growth and as a slope in MB per minute', () => {
    const f = flatness(
      samples((t) => 100 + t),
      12,
      (s) => s.harnessRssMb,
    )
    expect(f.growth).toBeGreaterThan(1.3)
    expect(f.slopePerMin).toBeCloseTo(60, 6)
  })
})
