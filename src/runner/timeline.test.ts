import { Type } from '@sinclair/typebox'
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../test/helpers/fake-clock.ts'
import { GamedayError } from '../errors.ts'
import { defineFault, type FaultDefinition, type UnitContext } from '../faults/types.ts'
import { createLogger } from '../log.ts'
import type { ProbeDefinition } from '../probes/types.ts'
import type { FaultWindow, ProbeResult } from '../record/index.ts'
import type { Scenario, TimelineEntry } from '../scenario/schema.ts'
import { ActiveFaults, Scheduler, scheduleTimeline } from './timeline.ts'

const log = createLogger({ name: 'timeline-test', level: 'silent' })

/** A fault that records what happened to it; its revert can be made to fail or hang. */
function recordingFault(calls: string[], revert: 'ok' | 'throws' | 'hangs' = 'ok'): FaultDefinition {
  return defineFault({
    id: 'recording',
    summary: 'records inject and revert (tests)',
    params: Type.Object({ level: Type.Integer({ default: 3, description: 'a parameter with a default' }) }),
    defaultDuration: '2s',
    needs: () => [],
    async inject(_ctx, params) {
      calls.push(`inject ${JSON.stringify(params)}`)
      return {
        details: { level: params.level },
        revert: async () => {
          calls.push('revert')
          if (revert === 'throws') throw new Error('control API gone')
          if (revert === 'hangs') await new Promise(() => undefined)
        },
      }
    },
  }) as unknown as FaultDefinition
}

const probe: ProbeDefinition = {
  id: 'counting',
  summary: 'a probe that measures 42 (tests)',
  params: Type.Object({}),
  needs: () => [],
  async run() {
    return { name: 'forty-two', status: 'ok', value: 42, unit: 'count', observations: [] }
  },
}

/** A fault whose control call fails, and a probe that throws. */
const failing = defineFault({
  id: 'failing',
  summary: 'a fault whose control API answers 500 (tests)',
  params: Type.Object({}),
  defaultDuration: '2s',
  needs: () => [],
  async inject() {
    throw new GamedayError('ERR_CONTROL_REQUEST_FAILED', 'mock-as control /chaos answered 500', {
      hint: 'is mock-as at http://127.0.0.1:9000 a reference one?',
    })
  },
}) as unknown as FaultDefinition
const broken: ProbeDefinition = { ...probe, id: 'broken', run: async () => Promise.reject(new Error('socket hang up')) }

function setup(
  entries: TimelineEntry[],
  revert: 'ok' | 'throws' | 'hangs' = 'ok',
  gate?: () => boolean,
  onError?: (e: GamedayError) => void,
) {
  const clock = new FakeClock()
  const t0 = clock.now() + 50
  const calls: string[] = []
  const events: string[] = []
  const faults: FaultWindow[] = []
  const probes: ProbeResult[] = []
  const scheduler = new Scheduler(clock)
  const sinceT0 = () => clock.now() - t0
  const active = new ActiveFaults({
    clock,
    timeoutMs: 1000,
    sinceT0,
    onReverted: (w) => events.push(`reverted ${w.status}`),
  })
  const abort = new AbortController()
  const ctx = {
    targets: {},
    scenario: {} as Scenario,
    log,
    now: sinceT0,
    emit: (type: string) => events.push(type),
    random: () => 0.5,
    events: () => [],
  } as unknown as UnitContext
  const probeRuns = scheduleTimeline({
    entries,
    t0,
    scheduler,
    active,
    ctx,
    signal: abort.signal,
    log,
    runId: 'r',
    faults,
    probes,
    ...(gate ? { gate } : {}),
    ...(onError ? { onError } : {}),
    registries: { faults: { recording: recordingFault(calls, revert), failing }, probes: { counting: probe, broken } },
  })
  return { clock, calls, events, faults, probes, scheduler, active, abort, probeRuns }
}

describe('Scheduler', () => {
  it('runs callbacks at their epoch times, at once when past, and nothing after cancelAll', async () => {
    const clock = new FakeClock()
    const s = new Scheduler(clock)
    const ran: number[] = []
    s.at(clock.now() + 300, () => ran.push(300))
    s.at(clock.now() + 100, () => ran.push(100))
    s.at(clock.now() - 500, () => ran.push(-500))
    const cancel = s.at(clock.now() + 200, () => ran.push(200))
    cancel()
    await clock.advance(250)
    expect(ran).toEqual([-500, 100])
    s.cancelAll()
    s.at(clock.now(), () => ran.push(0))
    await clock.advance(1000)
    expect(ran).toEqual([-500, 100])
    expect(clock.pending).toBe(0)
  })
})

describe('scheduleTimeline', () => {
  it('injects a fault at its offset with its defaults filled and reverts it after its duration', async () => {
    const { clock, calls, events, faults } = setup([{ at: '1s', fault: 'recording', duration: '500ms', params: {} }])
    await clock.advance(1049)
    expect(calls).toEqual([])
    await clock.advance(1)
    expect(calls).toEqual(['inject {"level":3}'])
    expect(faults[0]).toMatchObject({
      index: 0,
      fault: 'recording',
      injectedAt: 1000,
      status: 'active',
      details: { level: 3 },
    })
    await clock.advance(499)
    expect(calls).toHaveLength(1)
    await clock.advance(1)
    expect(calls).toEqual(['inject {"level":3}', 'revert'])
    expect(faults[0]).toMatchObject({ status: 'reverted', revertedAt: 1500 })
    expect(events).toEqual(['fault.injected', 'reverted reverted'])
  })

  it('reverts an active fault when the run ends early (revertAll), and a revert that throws is recorded, not lost', async () => {
    const { clock, calls, faults, active, scheduler } = setup(
      [{ at: '100ms', fault: 'recording', duration: '10s', params: { level: 1 } }],
      'throws',
    )
    await clock.advance(200)
    expect(faults[0]!.status).toBe('active')
    scheduler.cancelAll()
    await active.revertAll()
    expect(calls).toEqual(['inject {"level":1}', 'revert'])
    expect(faults[0]).toMatchObject({ status: 'revert-failed', error: 'control API gone' })
    await active.revertAll()
    expect(calls.filter((c) => c === 'revert')).toHaveLength(1)
  })

  it('gives up on a revert that hangs after its timeout', async () => {
    const { clock, faults, active } = setup([{ at: '0s', fault: 'recording', duration: '10s', params: {} }], 'hangs')
    await clock.advance(100)
    const done = active.revertAll()
    await clock.advance(1000)
    await done
    expect(faults[0]).toMatchObject({ status: 'revert-failed', error: 'revert took longer than 1000 ms' })
  })

  it('injects nothing when the gate says no, and runs probes at their offsets', async () => {
    const { clock, calls, faults, probes, probeRuns } = setup(
      [
        { at: '200ms', probe: 'counting', params: {} },
        { at: '1s', fault: 'recording', params: {} },
      ],
      'ok',
      () => false,
    )
    await clock.advance(300)
    await Promise.all(probeRuns)
    expect(probes).toMatchObject([{ index: 0, probe: 'counting', value: 42, startedAt: 200, endedAt: 200 }])
    await clock.advance(2000)
    expect(calls).toEqual([])
    expect(faults).toEqual([])
  })

  it('reports a fault that did not inject and a probe that failed mid-run with a code, a message naming the entry and a hint', async () => {
    const errors: GamedayError[] = []
    const { clock, faults, probes, probeRuns } = setup(
      [
        { at: '100ms', fault: 'failing', params: {} },
        { at: '200ms', probe: 'broken', params: {} },
      ],
      'ok',
      undefined,
      (e) => errors.push(e),
    )
    await clock.advance(300)
    await Promise.all(probeRuns)
    expect(faults[0]).toMatchObject({ status: 'inject-failed' })
    expect(probes[0]).toMatchObject({ status: 'failed', error: 'socket hang up' })
    expect(errors.map((e) => [e.code, e.message, e.hint])).toEqual([
      [
        'ERR_CONTROL_REQUEST_FAILED',
        'fault failing (timeline[0]) did not inject: mock-as control /chaos answered 500',
        'is mock-as at http://127.0.0.1:9000 a reference one?',
      ],
      [
        'ERR_PROBE_FAILED',
        'probe broken (timeline[1]) failed: socket hang up',
        'read the cause; the probe result is marked as failed in the report',
      ],
    ])
  })

  it('schedules nothing once the run is aborted', async () => {
    const { clock, calls, abort } = setup([{ at: '1s', fault: 'recording', params: {} }])
    abort.abort()
    await clock.advance(5000)
    expect(calls).toEqual([])
  })
})
