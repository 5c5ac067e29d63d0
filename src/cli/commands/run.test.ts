import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { RunOptions, RunOutcome } from '../../runner.ts'
import type { Scenario } from '../../scenario/schema.ts'

const calls: Array<{ id: string; options: RunOptions }> = []
let behaviour: (scenario: Scenario, options: RunOptions) => Promise<Partial<RunOutcome>>

vi.mock('../../runner.ts', () => ({
  runScenario: async (scenario: Scenario, options: RunOptions) => {
    calls.push({ id: scenario.id, options })
    return await behaviour(scenario, options)
  },
}))

const { buildProgram } = await import('../program.ts')
const { worstExitCode } = await import('./run.ts')

const FIX = 'test/fixtures/scenarios/valid'
let stdout: string[]
let stderr: string[]

beforeEach(() => {
  calls.length = 0
  stdout = []
  stderr = []
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    stdout.push(String(s))
    return true
  })
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    stderr.push(String(s))
    return true
  })
  process.exitCode = undefined
})
afterEach(() => {
  vi.restoreAllMocks()
  process.exitCode = undefined
})

const outcome = (id: string, exitCode: number) =>
  ({
    runDir: `reports/${id}/r1`,
    exitCode,
    verdict: { pass: exitCode === 0, score: exitCode === 0 ? 1 : 0.5 },
  }) as unknown as RunOutcome

describe('run', () => {
  it('orders exit codes: aborted, internal, invalid, SLO broken, ok', () => {
    expect(worstExitCode([0, 99, 0])).toBe(99)
    expect(worstExitCode([99, 1, 0])).toBe(1)
    expect(worstExitCode([1, 105, 99])).toBe(105)
    expect(worstExitCode([])).toBe(0)
  })

  it('runs every scenario with the flags, prints each run folder and exits with the worst code', async () => {
    behaviour = async (s) => outcome(s.id, s.id === 'full' ? 99 : 0)
    await buildProgram().parseAsync(
      [
        'run',
        '--quiet',
        '--engine',
        'k6',
        '--seed',
        '7',
        '--out',
        'tmp-reports',
        `${FIX}/minimal.yaml`,
        `${FIX}/full.yaml`,
      ],
      { from: 'user' },
    )
    expect(calls.map((c) => c.id)).toEqual(['minimal', 'full'])
    expect(calls[0]!.options).toMatchObject({
      engine: 'k6',
      runtime: 'process',
      outDir: 'tmp-reports',
      seed: 7,
      source: `${FIX}/minimal.yaml`,
    })
    expect(calls[0]!.options.signal).toBeInstanceOf(AbortSignal)
    expect(stdout.join('')).toBe('reports/minimal/r1\nreports/full/r1\n')
    expect(process.exitCode).toBe(99)
  })

  it('aborts on SIGINT, lets the runner write its aborted report, skips the rest and exits 105', async () => {
    behaviour = (s, o) =>
      new Promise((resolve) => {
        o.signal!.addEventListener('abort', () => resolve(outcome(s.id, 105)))
        setImmediate(() => process.emit('SIGINT', 'SIGINT'))
      })
    await buildProgram().parseAsync(['run', '--quiet', `${FIX}/minimal.yaml`, `${FIX}/full.yaml`], { from: 'user' })
    expect(calls.map((c) => c.id)).toEqual(['minimal'])
    expect(stdout.join('')).toBe('reports/minimal/r1\n')
    expect(stderr.join('')).toContain('SIGINT: aborting')
    expect(process.exitCode).toBe(105)
    expect(process.listenerCount('SIGINT')).toBe(0)
  })

  it('refuses an unknown reporter before running anything', async () => {
    behaviour = async (s) => outcome(s.id, 0)
    await expect(
      buildProgram().parseAsync(['run', '--reporter', 'json,pdf', `${FIX}/minimal.yaml`], { from: 'user' }),
    ).rejects.toMatchObject({ code: 'ERR_UNKNOWN_UNIT' })
    expect(calls).toEqual([])
  })
})
