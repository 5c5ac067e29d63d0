import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { RunOptions, RunOutcome } from '../../runner/run.ts'
import type { Scenario } from '../../scenario/schema.ts'

const calls: Array<{ id: string; options: RunOptions; scenario: Scenario }> = []
let behaviour: (scenario: Scenario, options: RunOptions) => Promise<Partial<RunOutcome>>

vi.mock('../../runner/run.ts', () => ({
  runScenario: async (scenario: Scenario, options: RunOptions) => {
    calls.push({ id: scenario.id, options, scenario })
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
    record: { status: exitCode === 105 ? 'interrupted' : 'completed' },
    verdict: { pass: exitCode === 0, score: exitCode === 0 ? 1 : 0.5 },
  }) as unknown as RunOutcome

describe('run', () => {
  it("orders exit codes as DESIGN.md's decisions: 105 > 103 > 104 > 108 > 99 > 0", () => {
    expect(worstExitCode([0, 99, 0])).toBe(99)
    expect(worstExitCode([99, 108])).toBe(108)
    expect(worstExitCode([108, 104, 99])).toBe(104)
    expect(worstExitCode([104, 103])).toBe(103)
    expect(worstExitCode([99, 1, 0])).toBe(1)
    expect(worstExitCode([103, 105, 99])).toBe(105)
    expect(worstExitCode([])).toBe(0)
  })

  it('a directory run refuses an invalid file with its errors, runs the rest and closes with a table and the worst code', async () => {
    const { mkdtemp, copyFile, rm } = await import('node:fs/promises')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const dir = await mkdtemp(join(tmpdir(), 'run-dir-'))
    try {
      await copyFile(`${FIX}/minimal.yaml`, join(dir, 'minimal.yaml'))
      await copyFile(`${FIX}/full.yaml`, join(dir, 'full.yaml'))
      await copyFile('test/fixtures/scenarios/invalid/unknown-key-duraton.yaml', join(dir, 'unknown-key-duraton.yaml'))
      behaviour = async (s) => outcome(s.id, s.id === 'full' ? 99 : 0)
      await buildProgram().parseAsync(['run', '--quiet', dir], { from: 'user' })
      expect(calls.map((c) => c.id)).toEqual(['full', 'minimal'])
      const text = stderr.join('')
      expect(text).toContain('unknown-key-duraton.yaml: refused, not run')
      expect(text).toMatch(/error ERR_SCENARIO_INVALID: .*unknown-key-duraton/)
      expect(text).toMatch(/full\s+failed\s+99\s+reports\/full\/r1/)
      expect(text).toMatch(/minimal\s+passed\s+0\s+reports\/minimal\/r1/)
      expect(text).toMatch(/unknown-key-duraton\.yaml\s+refused\s+104\s+ERR_SCENARIO_INVALID \(no run folder\)/)
      expect(text).toContain('3 scenarios: 1 refused, 1 failed, 1 passed; exit 104')
      expect(process.exitCode).toBe(104)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('--smoke runs the scenario at a quarter of its length, fault params unchanged', async () => {
    behaviour = async (s) => outcome(s.id, 0)
    await buildProgram().parseAsync(['run', '--quiet', '--smoke', 'scenarios/bad-key-rotation.yaml'], { from: 'user' })
    const { parseDuration } = await import('../../util/duration.ts')
    const { loadScenario } = await import('../../scenario/load.ts')
    const { scenario: full } = await loadScenario('scenarios/bad-key-rotation.yaml', { skipSecrets: true })
    const ran = calls[0]!.scenario
    expect(parseDuration(ran.load.duration)).toBe(Math.max(10_000, parseDuration(full.load.duration)! / 4))
    expect(ran.timeline.map((e) => e.params)).toEqual(full.timeline.map((e) => e.params))
    expect(process.exitCode).toBeUndefined()
  })

  it('prints an error the run survives (a fault whose control call failed) with its code and hint while the run goes on', async () => {
    const { GamedayError } = await import('../../errors.ts')
    behaviour = async (s, options) => {
      options.onError?.(
        new GamedayError(
          'ERR_CONTROL_REQUEST_FAILED',
          'fault jwks-outage (timeline[0]) did not inject: proxy answered 500',
          {
            hint: 'check that the fault proxy is a reference one and is running',
          },
        ),
      )
      return outcome(s.id, 0)
    }
    // --quiet drops the live line, never an error
    await buildProgram().parseAsync(['run', '--quiet', `${FIX}/minimal.yaml`], { from: 'user' })
    const text = stderr.join('')
    expect(text).toContain(
      'error ERR_CONTROL_REQUEST_FAILED: fault jwks-outage (timeline[0]) did not inject: proxy answered 500',
    )
    expect(text).toContain('hint: check that the fault proxy is a reference one and is running')
    expect(stdout.join('')).toBe('reports/minimal/r1\n')
  })

  it('a single invalid file is the command error: nothing runs', async () => {
    behaviour = async (s) => outcome(s.id, 0)
    await expect(
      buildProgram().parseAsync(['run', 'test/fixtures/scenarios/invalid/unknown-key-duraton.yaml'], { from: 'user' }),
    ).rejects.toMatchObject({ code: 'ERR_SCENARIO_INVALID' })
    expect(calls).toEqual([])
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

  it('--out-metrics is repeatable and passes every output to the run', async () => {
    behaviour = async (s) => outcome(s.id, 0)
    await buildProgram().parseAsync(
      [
        'run',
        '--quiet',
        '--out-metrics',
        'json=m.jsonl',
        '--out-metrics',
        'prometheus-rw=http://127.0.0.1:9090/api/v1/write',
        `${FIX}/minimal.yaml`,
      ],
      { from: 'user' },
    )
    expect(calls[0]!.options.metricsOutputs).toEqual([
      { id: 'json', arg: 'm.jsonl' },
      { id: 'prometheus-rw', arg: 'http://127.0.0.1:9090/api/v1/write' },
    ])
  })

  it('refuses a bad --out-metrics value with the accepted forms (104), before running anything', async () => {
    behaviour = async (s) => outcome(s.id, 0)
    const { fromCommanderError } = await import('../program.ts')
    const e = await buildProgram()
      .parseAsync(['run', '--out-metrics', 'csv=m.csv', `${FIX}/minimal.yaml`], { from: 'user' })
      .catch((x: unknown) => x)
    expect(fromCommanderError(e as never)).toMatchObject({
      code: 'ERR_CLI_USAGE',
      exitCode: 104,
      message: expect.stringContaining(
        'unknown output "csv" (got "csv=m.csv", expected one of json=FILE, prometheus-rw=URL)',
      ),
    })
    expect(calls).toEqual([])
  })
})
