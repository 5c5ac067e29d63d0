import { existsSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { LoadEngineDefinition } from '../load/types.ts'
import type { FaultWindow } from '../record/index.ts'
import { loadScenario } from '../scenario/load.ts'
import { recordWindows, runScenario } from './run.ts'

const fault = (
  injectedAt: number,
  revertedAt?: number,
  status: FaultWindow['status'] = revertedAt === undefined ? 'active' : 'reverted',
): FaultWindow => ({
  index: 0,
  fault: 'clock-skew',
  params: {},
  injectedAt,
  ...(revertedAt === undefined ? {} : { revertedAt }),
  status,
})

describe('recordWindows', () => {
  it('puts the steady state before the first fault, the faults, and the recovery after the last revert', () => {
    expect(recordWindows([fault(20_000, 30_000), fault(25_000, 40_000)], 5_000, 60_000)).toEqual({
      steadyState: [5_000, 20_000],
      fault: [20_000, 40_000],
      recovery: [40_000, 60_000],
    })
    expect(recordWindows([fault(20_000, 30_000, 'inject-failed')], 5_000, 60_000)).toEqual({
      steadyState: [5_000, 60_000],
    })
  })

  it('in a run still going, ends at the time elapsed and has no recovery while a fault is active or still to come', () => {
    expect(recordWindows([], 5_000, 12_000, true)).toEqual({ steadyState: [5_000, 12_000] })
    expect(recordWindows([fault(20_000)], 5_000, 26_000)).toEqual({
      steadyState: [5_000, 20_000],
      fault: [20_000, 26_000],
    })
    expect(recordWindows([fault(20_000, 30_000)], 5_000, 34_000, true)).toEqual({
      steadyState: [5_000, 20_000],
      fault: [20_000, 30_000],
    })
    expect(recordWindows([fault(20_000, 30_000)], 5_000, 34_000)).toEqual({
      steadyState: [5_000, 20_000],
      fault: [20_000, 30_000],
      recovery: [30_000, 34_000],
    })
  })
})

describe('runScenario', () => {
  it('refuses, before anything starts, a fault that needs load control with an engine that has none', async () => {
    const { scenario } = await loadScenario('scenarios/dpop-clock.yaml')
    const outDir = await mkdtemp(join(tmpdir(), 'gameday-run-'))
    let ran = false
    const noControl: LoadEngineDefinition = {
      id: 'no-control',
      summary: 'an engine with no channel into its running clients',
      available: async () => ({ ok: true }),
      run: async () => {
        ran = true
        throw new Error('not reached')
      },
    }
    await expect(runScenario(scenario, { engine: noControl, outDir, reporters: [] })).rejects.toMatchObject({
      code: 'ERR_CAPABILITY_MISSING',
      message: expect.stringContaining('timeline[1]: dpop-client-clock-skew needs control of the running load'),
    })
    expect(ran).toBe(false)
    expect(existsSync(join(outDir, 'dpop-clock'))).toBe(false)
  })
})
