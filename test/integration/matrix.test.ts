/**
 * The detection matrix in `npm test`: every shipped game day, shortened, against
 * the resilient profile (every SLO holds) and against the weak variant it
 * targets (the named SLO breaks, attributed to the right cause). Cells run two
 * at a time (2-core CI); each cell is one assertion. `SKIP_MATRIX=1` skips the
 * runs locally (never set it in CI). `scripts/matrix.ts --write` puts the table
 * in the README.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { readdirSync } from 'node:fs'
import { applyVariant, CELLS, type CellResult, MATRIX_FACTOR, runCell, shorten } from '../../scripts/matrix.ts'
import { smokeDefaults } from '../../src/cli/smoke.ts'
import { loadScenario } from '../../src/scenario/load.ts'
import { smoke } from '../../src/scenario/smoke.ts'

const skip = process.env.SKIP_MATRIX === '1'

describe('detection matrix', () => {
  it("shortens a game day with --smoke's scaling at half length and applies RS-profile, AS and fault-param variants without touching the original", async () => {
    const { scenario } = await loadScenario('scenarios/clock-skew.yaml')
    const short = applyVariant(shorten(scenario), 'strict-clock')
    expect(short.load.duration).toBe('22.5s')
    expect(short.timeline[0]).toMatchObject({ at: '7.5s', duration: '7.5s', params: scenario.timeline[0]!.params })
    expect(short.stack.authorizationServer.accessTokenTtl).toBe('5s')
    expect(shorten(scenario).slos).toEqual(scenario.slos)
    const { scenario: revocation } = await loadScenario('scenarios/revocation-propagation.yaml')
    // the probe keeps its 45 s timeout inside the load: the resilient profile's 30 s introspection cache is measured
    expect(shorten(revocation).load.duration).toBe('52.5s')
    expect(short.stack.resourceServers.every((r) => r.profile === 'strict-clock')).toBe(true)
    expect(scenario.stack.resourceServers[0]!.profile).toBe('resilient')
    expect(applyVariant(scenario, 'as:no-reuse-detection').stack.authorizationServer.refreshReuseDetection).toBe(false)
    expect(applyVariant(scenario, 'as:introspection-any-client').stack.authorizationServer.introspection).toEqual({
      anyClient: true,
    })
    expect(applyVariant(scenario, 'as:resources-allow-any').stack.authorizationServer.resources?.allowAny).toBe(true)
    const { scenario: nonces } = await loadScenario('scenarios/dpop-nonces.yaml')
    const faster = applyVariant(nonces, 'fault:dpop-nonce-rotation.nonceLifetime=100ms')
    expect(faster.timeline[0]!.params).toEqual({ side: 'both', nonceLifetime: '100ms' })
    expect(nonces.timeline[0]!.params).toEqual({ side: 'both', nonceLifetime: '1s' })
    const knob = applyVariant(scenario, 'knob:checkTokenType=false')
    expect(
      knob.stack.resourceServers.every((r) => r.options?.checkTokenType === false && r.profile === 'resilient'),
    ).toBe(true)
  })

  it.each(readdirSync('scenarios').filter((f) => f.endsWith('.yaml')))(
    "times of %s are --smoke's at half length: no hand-written shortening",
    async (file) => {
      const { scenario } = await loadScenario(`scenarios/${file}`, { skipSecrets: true })
      const short = shorten(scenario)
      const smoked = smoke(scenario, { ...smokeDefaults, factor: MATRIX_FACTOR, probeRoom: true })
      expect(short.load).toEqual(smoked.load)
      expect(short.timeline).toEqual(smoked.timeline)
    },
  )

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
