import { describe, expect, it } from 'vitest'
import type { FaultWindow } from './record.ts'
import { recordWindows } from './runner.ts'

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
