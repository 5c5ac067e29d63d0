import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../test/helpers/fake-clock.ts'
import type { LoadResult } from '../record/index.ts'
import type { Scenario } from '../scenario/schema.ts'
import { Journal, type RecordFacts, toRecord } from './journal.ts'

const facts: RecordFacts = {
  runId: 'run-1',
  scenario: { id: 'journal', title: 'journal test' } as Scenario,
  seed: 1,
  engine: { id: 'fake' },
  runtime: 'fake',
  targets: { issuer: 'http://127.0.0.1:9', resourceServers: [] },
  environment: { node: 'v20', platform: 'linux-x64', cpus: 2, harnessVersion: '0' },
  warmupMs: 1000,
}
const load = (durationMs: number, startedAt: number): LoadResult => ({
  engine: 'fake',
  startedAt,
  durationMs,
  latencyBasis: 'intended-start',
  series: [],
  counters: [],
  aborted: false,
  warnings: [],
})

describe('Journal', () => {
  it('puts what happened before t0 was known at negative times on the real axis, with no shifting', async () => {
    const clock = new FakeClock(1_000_000)
    const j = new Journal(clock)
    j.phaseStart('preflight')
    j.emit('mock-as', 'key.published')
    await clock.advance(2000)
    j.phaseEnd()
    j.fixT0(clock.now() + 50)
    await clock.advance(1050)
    j.emit('runner', 'fault.injected')
    expect(j.t0).toBe(1_002_050)
    expect(j.events()).toEqual([
      { t: -2050, source: 'mock-as', type: 'key.published' },
      { t: 1000, source: 'runner', type: 'fault.injected' },
    ])
    expect(j.phases()).toEqual([{ name: 'preflight', start: -2050, status: 'completed', end: -50 }])
  })
})

describe('toRecord', () => {
  it('builds the live and the final record by one rule', async () => {
    const clock = new FakeClock(5_000_000)
    const j = new Journal(clock)
    j.fixT0(clock.now())
    j.phaseStart('warmup')
    await clock.advance(1000)
    j.phaseEnd()
    j.phaseStart('steady-state-before')
    j.faults.push(
      { index: 1, fault: 'b', params: {}, injectedAt: 2000, revertedAt: 3000, status: 'reverted' },
      { index: 0, fault: 'a', params: {}, injectedAt: 1500, revertedAt: 2500, status: 'reverted' },
    )
    await clock.advance(3000)

    const live = toRecord(j, facts, load(4000, 0), { partial: true, faultsPending: true })
    expect(live.status).toBe('completed')
    expect(live.phases.at(-1)).toEqual({ name: 'steady-state-before', start: 1000, status: 'completed', end: 4000 })
    expect(live.windows).toEqual({ steadyState: [1000, 1500], fault: [1500, 3000] })
    expect(live.load.startedAt).toBe(j.t0)
    expect(j.phases().at(-1)!.end, 'a partial record leaves the journal open').toBeUndefined()

    j.phaseEnd()
    const final = toRecord(j, facts, load(5000, j.t0), {
      partial: false,
      status: 'completed',
      exitCode: 0,
      endedAt: clock.now(),
    })
    const { phases: livePhases, windows: liveWindows, endedAt: _a, load: _b, ...liveRest } = live
    const { phases: finalPhases, windows: finalWindows, endedAt: _c, load: _d, ...finalRest } = final
    expect(finalRest).toEqual(liveRest)
    expect(final.faults.map((f) => f.index)).toEqual([0, 1])
    expect(finalWindows).toEqual({ steadyState: [1000, 1500], fault: [1500, 3000], recovery: [3000, 5000] })
    expect(finalPhases.map((p) => p.name)).toEqual(['warmup', 'steady-state-before', 'recovery', 'steady-state-after'])
    expect(finalPhases.at(-1)).toEqual({ name: 'steady-state-after', start: 3000, end: 5000, status: 'completed' })
    expect(livePhases).toHaveLength(2)
    expect(liveWindows.recovery).toBeUndefined()
  })

  it('says how a run that did not complete ended, and gives it no recovery', () => {
    const clock = new FakeClock()
    const j = new Journal(clock)
    const r = toRecord(j, facts, load(0, j.t0), {
      partial: false,
      status: 'errored',
      error: { code: 'ERR_COMPONENT_EXITED', message: 'component as exited' },
      exitCode: 103,
      endedAt: clock.now(),
      endMs: 700,
    })
    expect(r).toMatchObject({
      status: 'errored',
      exitCode: 103,
      error: { code: 'ERR_COMPONENT_EXITED' },
      windows: { steadyState: [1000, 1000] },
    })
    const a = toRecord(j, facts, load(0, j.t0), {
      partial: false,
      status: 'aborted',
      abortedBy: 'steady-state',
      exitCode: 108,
      endedAt: clock.now(),
    })
    expect(a.abortedBy).toBe('steady-state')
  })
})
