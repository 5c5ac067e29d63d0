import { describe, expect, it } from 'vitest'
import type { FlowConfig } from '../../scenario/schema.ts'
import { seededRandom } from '../../util/random.ts'
import { executors } from './index.ts'
import { runExecutor } from './run.ts'
import type { ArrivalSchedule } from './types.ts'
import { VirtualClock } from './virtual-clock.ts'

function flow(over: Partial<FlowConfig>): FlowConfig {
  return {
    flow: 'client-credentials',
    executor: 'constant-arrival-rate',
    startRate: 0,
    timeUnit: '1s',
    preAllocatedVUs: 10,
    startTime: '0s',
    clients: 1,
    timeout: '10s',
    dpop: false,
    dpopAlg: 'ES256',
    ...over,
  } as FlowConfig
}

function drain(s: ArrivalSchedule, max = 100_000): number[] {
  const out: number[] = []
  for (let t = s.next(); t !== undefined && out.length < max; t = s.next()) out.push(t)
  return out
}

describe('constant-arrival-rate', () => {
  it('spaces arrivals evenly instead of bursting each second', () => {
    const times = drain(executors['constant-arrival-rate']!.schedule!(flow({ rate: 10 }), { durationMs: 1000 }))
    expect(times).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900])
  })

  it('honours timeUnit', () => {
    const times = drain(
      executors['constant-arrival-rate']!.schedule!(flow({ rate: 120, timeUnit: '1m' }), { durationMs: 2000 }),
    )
    expect(times).toEqual([0, 500, 1000, 1500])
  })

  it('repeats the same jittered schedule for the same seed', () => {
    const make = (seed: number) =>
      drain(
        executors['constant-arrival-rate']!.schedule!(flow({ rate: 50 }), {
          durationMs: 1000,
          jitter: 1,
          random: seededRandom(seed),
        }),
      )
    expect(make(7)).toEqual(make(7))
    expect(make(7)).not.toEqual(make(8))
    const a = make(7)
    expect(a).toHaveLength(50)
    for (let i = 1; i < a.length; i++) expect(a[i]!).toBeGreaterThanOrEqual(a[i - 1]!)
  })
})

describe('ramping-arrival-rate', () => {
  const ramping = executors['ramping-arrival-rate']!

  it('ramps linearly from startRate, placing arrival n where the rate integral reaches n', () => {
    const f = flow({ executor: 'ramping-arrival-rate', startRate: 0, stages: [{ target: 10, duration: '10s' }] })
    const times = drain(ramping.schedule!(f, { durationMs: ramping.ownDurationMs!(f)! }))
    // integral of a 0→10/s ramp over 10 s is 50 iterations
    expect(times).toHaveLength(50)
    // rate r(t) = t per s, N(t) = t²/2: arrival 5 at t = sqrt(10) s
    expect(times[5]! / 1000).toBeCloseTo(Math.sqrt(10), 3)
    const gaps = times.slice(1).map((t, i) => t - times[i]!)
    expect(gaps[gaps.length - 1]!).toBeLessThan(gaps[1]!)
    expect(gaps[gaps.length - 1]!).toBeGreaterThan(95)
    expect(gaps[gaps.length - 1]!).toBeLessThan(110)
  })

  it('equals the constant executor on a flat stage and follows several stages', () => {
    const flat = flow({ executor: 'ramping-arrival-rate', startRate: 10, stages: [{ target: 10, duration: '1s' }] })
    expect(drain(ramping.schedule!(flat, { durationMs: 1000 })).map((t) => Math.round(t))).toEqual([
      0, 100, 200, 300, 400, 500, 600, 700, 800, 900,
    ])
    const multi = flow({
      executor: 'ramping-arrival-rate',
      startRate: 20,
      stages: [
        { target: 20, duration: '1s' },
        { target: 0, duration: '2s' },
        { target: 0, duration: '1s' },
      ],
    })
    const times = drain(ramping.schedule!(multi, { durationMs: 4000 }))
    expect(times.length).toBe(41) // arrivals 0..40: 20 + 20 (down-ramp 20→0 over 2 s), none on the zero plateau
    expect(Math.max(...times)).toBeLessThanOrEqual(3000)
    expect(ramping.ownDurationMs!(multi)).toBe(4000)
  })
})

describe('runExecutor', () => {
  it('starts iterations at their intended times and drops those that find no free VU', async () => {
    const clock = new VirtualClock(1_000_000)
    const starts: number[] = []
    const dropped: number[] = []
    const ctl = new AbortController()
    const stats = await clock.run(
      runExecutor({
        executor: executors['constant-arrival-rate']!,
        flow: flow({ rate: 10, preAllocatedVUs: 2, maxVUs: 3 }),
        clock,
        startAt: 1_000_000,
        durationMs: 1000,
        gracefulStopMs: 1000,
        signal: ctl.signal,
        async iterate({ intendedStart }) {
          starts.push(intendedStart - 1_000_000)
          expect(clock.now()).toBe(intendedStart)
          await clock.sleepUntil(clock.now() + 350)
        },
        onDropped: (t) => dropped.push(t - 1_000_000),
      }),
    )
    // 350 ms iterations every 100 ms need 4 VUs; with 3, every 4th arrival is dropped
    expect(dropped).toEqual([300, 700])
    expect(starts).toEqual([0, 100, 200, 400, 500, 600, 800, 900])
    expect(stats.started).toBe(8)
    expect(stats.dropped).toBe(2)
    expect(stats.pool.allocated).toBe(3)
    expect(stats.interrupted).toBe(0)
  })

  it('launches every arrival due within batchMs on one wake-up, keeping each exact intended start', async () => {
    const clock = new VirtualClock(0)
    const wakeUps = new Set<number>()
    const starts: number[] = []
    const stats = await clock.run(
      runExecutor({
        executor: executors['constant-arrival-rate']!,
        flow: flow({ rate: 4000, preAllocatedVUs: 10, maxVUs: 10 }),
        clock,
        startAt: 0,
        durationMs: 10,
        gracefulStopMs: 0,
        batchMs: 1,
        signal: new AbortController().signal,
        async iterate({ intendedStart }) {
          starts.push(intendedStart)
          wakeUps.add(clock.now())
          // never launched later than due, nor more than batchMs early
          expect(clock.now()).toBeLessThanOrEqual(intendedStart)
          expect(intendedStart - clock.now()).toBeLessThanOrEqual(1)
        },
      }),
    )
    expect(starts).toEqual(Array.from({ length: 40 }, (_, i) => i * 0.25))
    expect(stats.started).toBe(40)
    // 40 arrivals 0.25 ms apart over 10 ms: about one wake-up per ms, not one per arrival
    expect(wakeUps.size).toBeLessThanOrEqual(11)
  })

  it('cancels iterations still running after the graceful stop window', async () => {
    const clock = new VirtualClock(0)
    let cancelled = 0
    const stats = await clock.run(
      runExecutor({
        executor: executors['constant-arrival-rate']!,
        flow: flow({ rate: 2 }),
        clock,
        startAt: 0,
        durationMs: 1000,
        gracefulStopMs: 500,
        signal: new AbortController().signal,
        async iterate({ signal }) {
          await clock.sleepUntil(clock.now() + 10_000, signal)
          if (signal.aborted) cancelled++
        },
      }),
    )
    expect(stats.started).toBe(2)
    expect(stats.interrupted).toBe(2)
    expect(cancelled).toBe(2)
    expect(clock.now()).toBe(1500)
  })

  it('runs a closed model: each VU loops back to back until the duration ends', async () => {
    const clock = new VirtualClock(0)
    const perVu = new Map<number, number[]>()
    const stats = await clock.run(
      runExecutor({
        executor: executors['constant-vus']!,
        flow: flow({ executor: 'constant-vus', vus: 2 }),
        clock,
        startAt: 0,
        durationMs: 1000,
        gracefulStopMs: 500,
        signal: new AbortController().signal,
        async iterate({ vu, intendedStart }) {
          perVu.set(vu.id, [...(perVu.get(vu.id) ?? []), intendedStart])
          await clock.sleepUntil(clock.now() + 300)
        },
      }),
    )
    expect(stats.started).toBe(8)
    expect([...perVu.values()]).toEqual([
      [0, 300, 600, 900],
      [0, 300, 600, 900],
    ])
  })

  it('holds a VU until a callback-form iteration calls done, once, however often it is called', async () => {
    const clock = new VirtualClock(0)
    const dropped: number[] = []
    const starts: Array<[number, number]> = []
    const stats = await clock.run(
      runExecutor({
        executor: executors['constant-arrival-rate']!,
        flow: flow({ rate: 10, preAllocatedVUs: 1, maxVUs: 1 }),
        clock,
        startAt: 0,
        durationMs: 1000,
        gracefulStopMs: 1000,
        signal: new AbortController().signal,
        iterate(start, done) {
          starts.push([start.id, start.intendedStart])
          // 250 ms per iteration; a second call of done must not free the VU for a parallel iteration
          clock.sleepUntil(clock.now() + 250).then(() => {
            done()
            done()
          })
        },
        onDropped: (t) => dropped.push(t),
      }),
    )
    // one VU, 100 ms apart, 250 ms each: every third arrival finds it free
    expect(starts).toEqual([
      [1, 0],
      [1, 300],
      [1, 600],
      [1, 900],
    ])
    expect(dropped).toEqual([100, 200, 400, 500, 700, 800])
    expect(stats.interrupted).toBe(0)
    expect(clock.now()).toBe(1150)
  })

  it('stops scheduling at once when aborted', async () => {
    const clock = new VirtualClock(0)
    const ctl = new AbortController()
    let n = 0
    const stats = await clock.run(
      runExecutor({
        executor: executors['constant-arrival-rate']!,
        flow: flow({ rate: 100 }),
        clock,
        startAt: 0,
        durationMs: 10_000,
        gracefulStopMs: 5000,
        signal: ctl.signal,
        async iterate({ signal }) {
          if (++n === 50) ctl.abort()
          await clock.sleepUntil(clock.now() + 5, signal)
        },
      }),
    )
    expect(stats.started).toBe(50)
    expect(clock.now()).toBeLessThan(1000)
  })
})
