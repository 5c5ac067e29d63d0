/**
 * The detection matrix in `npm test`: every shipped game day, shortened, against
 * the resilient profile (every SLO holds) and against the weak variant it
 * targets (the named SLO breaks, attributed to the right cause). Cells run two
 * at a time (2-core CI); each cell is one assertion. `SKIP_MATRIX=1` skips the
 * runs locally (never set it in CI). `scripts/matrix.ts --write` puts the table
 * in the README.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { applyVariant, CELLS, type CellResult, runCell, shorten } from '../../scripts/matrix.ts'
import { loadScenario } from '../../src/scenario/load.ts'

const skip = process.env.SKIP_MATRIX === '1'

describe('detection matrix', () => {
  it('shortens a game day and applies RS-profile and AS variants without touching the original', async () => {
    const { scenario } = await loadScenario('scenarios/clock-skew.yaml')
    const short = applyVariant(shorten(scenario), 'strict-clock')
    expect(short.load.duration).toBe('25s')
    expect(short.stack.resourceServers.every((r) => r.profile === 'strict-clock')).toBe(true)
    expect(scenario.stack.resourceServers[0]!.profile).toBe('resilient')
    expect(applyVariant(scenario, 'as:no-reuse-detection').stack.authorizationServer.refreshReuseDetection).toBe(false)
  })

  describe.skipIf(skip)('cells', () => {
    const results = new Map<MatrixKey, CellResult>()
    type MatrixKey = string
    beforeAll(async () => {
      const queue = [...CELLS]
      const worker = async () => {
        for (let cell = queue.shift(); cell; cell = queue.shift())
          results.set(`${cell.scenario} × ${cell.variant}`, await runCell(cell))
      }
      await Promise.all([worker(), worker()])
    }, 30 * 60_000)

    it.each(CELLS.map((c) => [`${c.scenario} × ${c.variant}`, c] as const))(
      '%s: observed matches expected',
      (name, cell) => {
        const r = results.get(name)!
        expect(r.error).toBeUndefined()
        expect(r.noData, 'SLOs without data: the load did not run in time').toEqual([])
        if (cell.expectBroken.length === 0) expect(r.broken).toEqual([])
        for (const id of cell.expectBroken) expect(r.broken).toContain(id)
        if (cell.expectAttribution) expect(r.attribution ?? '').toMatch(cell.expectAttribution)
        expect(r.agrees).toBe(true)
      },
    )
  })
})
