/**
 * `constant-arrival-rate` (k6): an open model that starts `rate` iterations
 * per `timeUnit`, evenly spaced, whatever the server's latency. Iterations are
 * not sent in bursts at the top of each second: with 100/s the gap is 10 ms.
 * An iteration that finds no free VU at its intended start is dropped.
 */
import { durationMs } from '../../util/duration.ts'
import type { ArrivalSchedule, ExecutorDefinition, ScheduleOptions } from './types.ts'
import type { FlowConfig } from '../../scenario/schema.ts'
import { jittered } from './jitter.ts'

/** Iterations per ms for `rate` per `timeUnit`. */
export function ratePerMs(rate: number, timeUnit: string | undefined): number {
  return rate / durationMs(timeUnit ?? '1s')
}

export const constantArrivalRate: ExecutorDefinition = {
  id: 'constant-arrival-rate',
  summary: 'open model: `rate` iterations per `timeUnit`, evenly spaced, dropped when no VU is free',
  model: 'open',
  schedule(flow: FlowConfig, options: ScheduleOptions): ArrivalSchedule {
    const perMs = ratePerMs(flow.rate ?? 1, flow.timeUnit)
    const gap = 1 / perMs
    let i = 0
    return jittered(
      {
        next() {
          const t = i * gap
          if (t >= options.durationMs) return undefined
          i++
          return t
        },
      },
      gap,
      options,
    )
  },
  vus(flow) {
    const pre = flow.preAllocatedVUs ?? 10
    return { preAllocated: pre, max: Math.max(pre, flow.maxVUs ?? pre * 10) }
  },
}
