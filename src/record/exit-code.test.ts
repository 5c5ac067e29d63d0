import { describe, expect, it } from 'vitest'
import { exitCodeFor, worstExitCode } from './exit-code.ts'

describe('exitCodeFor', () => {
  it('gives each status of DESIGN.md its exit code', () => {
    expect(exitCodeFor({ status: 'completed', pass: true })).toBe(0)
    expect(exitCodeFor({ status: 'completed', pass: false })).toBe(99)
    expect(exitCodeFor({ status: 'aborted', abortedBy: 'slo', pass: false })).toBe(99)
    expect(exitCodeFor({ status: 'aborted', abortedBy: 'steady-state', pass: false })).toBe(108)
    expect(exitCodeFor({ status: 'interrupted', pass: false })).toBe(105)
    expect(
      exitCodeFor({
        status: 'errored',
        error: { code: 'ERR_COMPONENT_EXITED', message: 'mock-as exited' },
        pass: false,
      }),
    ).toBe(103)
    expect(
      exitCodeFor({ status: 'errored', error: { code: 'ERR_LOAD_ENGINE_FAILED', message: 'x' }, pass: false }),
    ).toBe(103)
  })

  it('keeps 104 for a plan found unrunnable during start-up, and 1 for an error nobody raised on purpose', () => {
    expect(
      exitCodeFor({ status: 'errored', error: { code: 'ERR_ENV_K6_NOT_FOUND', message: 'no k6' }, pass: false }),
    ).toBe(104)
    expect(exitCodeFor({ status: 'errored', error: { code: 'ERR_INTERNAL', message: 'boom' }, pass: false })).toBe(1)
    expect(exitCodeFor({ status: 'errored', pass: false })).toBe(1)
  })

  it('never lets an errored run look like a broken SLO, even when the SLOs held', () => {
    expect(
      exitCodeFor({ status: 'errored', error: { code: 'ERR_RUNTIME_START_FAILED', message: 'x' }, pass: true }),
    ).toBe(103)
  })
})

describe('worstExitCode', () => {
  it('orders 105 > 1 > 103 > 104 > 108 > 99 > 0', () => {
    const order = [105, 1, 103, 104, 108, 99, 0]
    for (let i = 0; i < order.length; i++) expect(worstExitCode(order.slice(i).reverse())).toBe(order[i])
    expect(worstExitCode([])).toBe(0)
    expect(worstExitCode([0, 42])).toBe(42)
  })
})
