/**
 * Drive one flow with its executor: sleep until each intended start, hand a
 * free VU the iteration (without awaiting it: the open model does not wait
 * for responses), count what is dropped, then give in-flight iterations the
 * graceful-stop window before cancelling them (k6's `gracefulStop`).
 *
 * When the loop itself falls behind (a busy event loop), late arrivals start
 * at once but keep their intended start, so the latency the flow records from
 * it still includes the delay (the correction for coordinated omission).
 */
import { setMaxListeners } from 'node:events'
import type { FlowConfig } from '../../scenario/schema.ts'
import type { Clock, ExecutorDefinition } from './types.ts'
import { type Vu, VuPool } from './vu-pool.ts'

/**
 * What an iteration is started with. One object per VU, reused for each of
 * its iterations (a VU runs one at a time): an arrival allocates nothing.
 * It is also the flow's `VuContext`.
 */
export interface IterationStart {
  vu: Vu
  /** The VU's id (`vu.id`). */
  readonly id: number
  /** Epoch ms the iteration was meant to start. */
  intendedStart: number
  /** Aborted when the graceful-stop window has passed or the run is aborted. */
  signal: AbortSignal
}

export interface RunExecutorOptions {
  executor: ExecutorDefinition
  flow: FlowConfig
  clock: Clock
  /** Epoch ms of the flow's own start (t0 + startTime). */
  startAt: number
  /** How long the flow schedules iterations, ms. */
  durationMs: number
  gracefulStopMs: number
  /** Aborting stops scheduling and cancels in-flight iterations at once. */
  signal: AbortSignal
  random?: () => number
  jitter?: number
  /**
   * Run one iteration; must not throw (failures are recorded, not raised).
   * Either return a promise (the iteration ends when it settles) or return
   * nothing and call `done` exactly once when the iteration ends: the
   * callback form lets a hot path run without a promise per arrival.
   */
  iterate(start: IterationStart, done: () => void): Promise<void> | void
  /**
   * Launch arrivals due within this many ms at once instead of sleeping for
   * each (one timer wake-up per batch; 0, the default, sleeps to every
   * arrival). Each iteration keeps its exact intended start.
   */
  batchMs?: number
  /** Epoch ms before which arrivals are dropped unsent (the engine was not ready yet). */
  skipBefore?: number
  /** An arrival found no free VU at `intendedStart` (`no_vu`), or came before `skipBefore` (`not_ready`). */
  onDropped?(intendedStart: number, reason: 'no_vu' | 'not_ready'): void
}

export interface ExecutorStats {
  started: number
  dropped: number
  /** Iterations cancelled at the end of the graceful stop window. */
  interrupted: number
  pool: VuPool
}

/** Run one flow to the end of its duration plus its graceful stop. */
export async function runExecutor(o: RunExecutorOptions, onPool?: (pool: VuPool) => void): Promise<ExecutorStats> {
  const { preAllocated, max } = o.executor.vus(o.flow)
  const pool = new VuPool(preAllocated, max)
  onPool?.(pool)
  const stats: ExecutorStats = { started: 0, dropped: 0, interrupted: 0, pool }
  const cancel = new AbortController()
  // every in-flight request listens on this signal
  setMaxListeners(0, cancel.signal)
  const onAbort = () => cancel.abort()
  o.signal.addEventListener('abort', onAbort, { once: true })
  const end = o.startAt + o.durationMs

  /** Per VU (by id): its reusable start object and its `done`, made once. */
  interface Slot {
    start: IterationStart
    busy: boolean
    /** Called after the iteration ends (the closed model's loop waits on it). */
    after: (() => void) | undefined
    done: () => void
  }
  const slots: Slot[] = []
  let inflight = 0
  let drained: Array<() => void> = []
  /** Resolves once no iteration is in flight. */
  const drain = (): Promise<void> =>
    inflight === 0 ? Promise.resolve() : new Promise((resolve) => drained.push(resolve))
  const slotOf = (vu: Vu): Slot => {
    let slot = slots[vu.id]
    if (!slot) {
      const s: Slot = {
        start: { vu, id: vu.id, intendedStart: 0, signal: cancel.signal },
        busy: false,
        after: undefined,
        done: () => {
          // a second call (a flow bug) must not release the VU again
          if (!s.busy) return
          s.busy = false
          inflight--
          pool.release(vu)
          const after = s.after
          s.after = undefined
          after?.()
          if (inflight === 0 && drained.length) {
            const waiting = drained
            drained = []
            for (const resolve of waiting) resolve()
          }
        },
      }
      slots[vu.id] = s
      slot = s
    }
    return slot
  }

  const launch = (vu: Vu, intendedStart: number, after?: () => void): void => {
    stats.started++
    vu.iterations++
    const slot = slotOf(vu)
    slot.busy = true
    slot.after = after
    slot.start.intendedStart = intendedStart
    inflight++
    let r: Promise<void> | void
    try {
      r = o.iterate(slot.start, slot.done)
    } catch {
      slot.done()
      return
    }
    if (r) r.then(slot.done, slot.done)
  }

  /**
   * One closed-model VU: each iteration starts when the one before ends, from
   * its `after` callback, with no promise per iteration (a promise and an
   * async continuation per request showed in the closed loop's profile). An
   * iteration that ends synchronously continues from a microtask, as an
   * awaited promise would, so the loop never recurses on the stack.
   */
  const closedLoop = (finished: () => void): void => {
    let inLaunch = false
    let endedInLaunch = false
    const next = (): void => {
      const v = o.signal.aborted || o.clock.now() >= end ? undefined : pool.acquire()
      if (!v) {
        finished()
        return
      }
      inLaunch = true
      endedInLaunch = false
      launch(v, o.clock.now(), after)
      inLaunch = false
      if (endedInLaunch) queueMicrotask(next)
    }
    const after = (): void => {
      if (inLaunch) endedInLaunch = true
      else next()
    }
    next()
  }

  try {
    if (o.executor.model === 'open') {
      const batch = Math.max(0, o.batchMs ?? 0)
      const schedule = o.executor.schedule!(o.flow, { durationMs: o.durationMs, random: o.random, jitter: o.jitter })
      for (let t = schedule.next(); t !== undefined && !o.signal.aborted; t = schedule.next()) {
        const at = o.startAt + t
        if (o.skipBefore !== undefined && at < o.skipBefore) {
          stats.dropped++
          o.onDropped?.(at, 'not_ready')
          continue
        }
        // one wake-up launches every arrival already due and those due within batchMs: a timer per
        // arrival costs more than the request at high rates; early sends are measured from the send
        if (o.clock.now() < at - batch) {
          await o.clock.sleepUntil(at, o.signal)
          if (o.signal.aborted) break
        }
        const vu = pool.acquire()
        if (!vu) {
          stats.dropped++
          o.onDropped?.(at, 'no_vu')
          continue
        }
        launch(vu, at)
      }
    } else {
      if (o.clock.now() < o.startAt) await o.clock.sleepUntil(o.startAt, o.signal)
      const loops: Promise<void>[] = []
      for (let i = 0; i < max; i++) {
        const vu = pool.acquire()
        if (!vu) break
        pool.release(vu)
        loops.push(new Promise<void>((resolve) => closedLoop(resolve)))
      }
      // closed model: the loops end on their own once the duration is over; cap them by the graceful stop
      const all = Promise.all(loops)
      const stopWait = new AbortController()
      await Promise.race([all, o.clock.sleepUntil(end + o.gracefulStopMs, AnyAbort(o.signal, stopWait.signal))])
      stopWait.abort()
    }
    if (!o.signal.aborted && inflight > 0) {
      const stopWait = new AbortController()
      const graceEnd = Math.max(end, o.clock.now()) + (o.executor.model === 'open' ? o.gracefulStopMs : 0)
      await Promise.race([drain(), o.clock.sleepUntil(graceEnd, AnyAbort(o.signal, stopWait.signal))])
      stopWait.abort()
    }
  } finally {
    stats.interrupted = inflight
    cancel.abort()
    await drain()
    o.signal.removeEventListener('abort', onAbort)
  }
  return stats
}

function AnyAbort(...signals: AbortSignal[]): AbortSignal {
  return AbortSignal.any(signals)
}

/** The real clock: `performance`-based epoch ms, timers for sleeping. */
export const realClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  sleepUntil(at, signal) {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve()
      const ms = at - (performance.timeOrigin + performance.now())
      if (ms <= 0) return resolve()
      const done = () => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      // timers fire late by up to ~1 ms; late arrivals keep their intended start, so lateness is measured, not hidden
      const timer = setTimeout(done, ms)
      signal?.addEventListener('abort', done, { once: true })
    })
  },
}
