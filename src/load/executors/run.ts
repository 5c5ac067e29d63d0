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

export interface IterationStart {
  vu: Vu
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
  /** Run one iteration; must not throw (failures are recorded, not raised). */
  iterate(start: IterationStart): Promise<void>
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
  const inflight = new Set<Promise<void>>()
  const end = o.startAt + o.durationMs

  const launch = (vu: Vu, intendedStart: number): Promise<void> => {
    stats.started++
    vu.iterations++
    const p = o
      .iterate({ vu, intendedStart, signal: cancel.signal })
      .catch(() => {})
      .finally(() => {
        inflight.delete(p)
        pool.release(vu)
      })
    inflight.add(p)
    return p
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
        loops.push(
          (async () => {
            while (!o.signal.aborted && o.clock.now() < end) {
              const v = pool.acquire()
              if (!v) return
              await launch(v, o.clock.now())
            }
          })(),
        )
      }
      // closed model: the loops end on their own once the duration is over; cap them by the graceful stop
      const all = Promise.all(loops)
      const stopWait = new AbortController()
      await Promise.race([all, o.clock.sleepUntil(end + o.gracefulStopMs, AnyAbort(o.signal, stopWait.signal))])
      stopWait.abort()
    }
    if (!o.signal.aborted && inflight.size > 0) {
      const stopWait = new AbortController()
      const graceEnd = Math.max(end, o.clock.now()) + (o.executor.model === 'open' ? o.gracefulStopMs : 0)
      await Promise.race([Promise.allSettled([...inflight]), o.clock.sleepUntil(graceEnd, AnyAbort(o.signal, stopWait.signal))])
      stopWait.abort()
    }
  } finally {
    stats.interrupted = inflight.size
    cancel.abort()
    await Promise.allSettled([...inflight])
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
