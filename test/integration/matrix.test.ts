/**
 * The detection matrix in `npm test`: every shipped game day, shortened, against
 * the resilient profile (every SLO holds) and against the weak variant it
 * targets (the named SLO breaks, attributed to the right cause). Two cells run
 * at a time (2-core CI). `scripts/matrix.ts --write` puts the table in the README.
 */
import { describe, expect, it } from 'vitest'
import { CELLS, type CellResult, runCell, shorten, applyVariant } from '../../scripts/matrix.ts'
import { loadScenario } from '../../src/scenario/load.ts'

describe('detection matrix', () => {
  it('shortens every game day without breaking the schema rules and applies variants', async () => {
    const { scenario } = await loadScenario('scenarios/clock-skew.yaml')
    const short = applyVariant(shorten(scenario), 'strict-clock')
    expect(short.load.duration).toBe('25s')
    expect(short.stack.resourceServers.every((r) => r.profile === 'strict-clock')).toBe(true)
    expect(scenario.stack.resourceServers[0]!.profile).toBe('resilient')
    expect(applyVariant(scenario, 'as:no-reuse-detection').stack.authorizationServer.refreshReuseDetection).toBe(false)
  })

  const results: CellResult[] = []
  it.each(CELLS.map((c) => [`${c.scenario} × ${c.variant}`, c] as const))(
    '%s: observed matches expected',
    { timeout: 150_000, concurrent: true },
    async (_name, cell) => {
      const r = await runCell(cell)
      results.push(r)
      expect(r.error).toBeUndefined()
      if (cell.expectBroken.length === 0) expect(r.broken).toEqual([])
      for (const id of cell.expectBroken) expect(r.broken).toContain(id)
      if (cell.expectAttribution) expect(r.attribution ?? '').toMatch(cell.expectAttribution)
      expect(r.agrees).toBe(true)
    },
  )
})
