/**
 * `ramping-arrival-rate` (k6): an open model whose rate moves linearly from
 * `startRate` to each stage's `target` over the stage's `duration`. The n-th
 * arrival is placed where the integral of the rate reaches n, so arrivals are
 * evenly paced at every instant of the ramp (k6 computes them the same way).
 */
import { durationMs } from '../../util/duration.ts'
import type { FlowConfig } from '../../scenario/schema.ts'
import { jittered } from './jitter.ts'
import type { ArrivalSchedule, ExecutorDefinition, ScheduleOptions } from './types.ts'

interface Segment {
  start: number
  length: number
  /** Rate at start and end, iterations per ms. */
  r0: number
  r1: number
  /** Iterations before the segment starts. */
  before: number
}

function segments(flow: FlowConfig): Segment[] {
  const unit = durationMs(flow.timeUnit ?? '1s')
  let rate = (flow.startRate ?? 0) / unit
  let start = 0
  let before = 0
  const out: Segment[] = []
  for (const stage of flow.stages ?? []) {
    const length = durationMs(stage.duration)
    const r1 = stage.target / unit
    out.push({ start, length, r0: rate, r1, before })
    before += ((rate + r1) / 2) * length
    start += length
    rate = r1
  }
  return out
}

/** Time within a segment at which `need` iterations (0 < need ≤ segment total) have arrived. */
function solve(seg: Segment, need: number): number {
  const a = seg.r0
  const b = (seg.r1 - seg.r0) / seg.length
  if (Math.abs(b) < 1e-15) return need / a
  const disc = a * a + 2 * b * need
  return (-a + Math.sqrt(Math.max(0, disc))) / b
}

export const rampingArrivalRate: ExecutorDefinition = {
  id: 'ramping-arrival-rate',
  summary: 'open model: the rate moves linearly between stages starting from `startRate`, evenly paced',
  model: 'open',
  schedule(flow: FlowConfig, options: ScheduleOptions): ArrivalSchedule {
    const segs = segments(flow)
    let n = 0
    let k = 0
    const base: ArrivalSchedule = {
      next() {
        while (k < segs.length) {
          const seg = segs[k]!
          const total = ((seg.r0 + seg.r1) / 2) * seg.length
          const need = n - seg.before
          if (need <= total + 1e-9) {
            // arrival n sits where the integral of the rate reaches n (arrival 0 at t=0, as in the constant executor)
            const t = seg.start + (need <= 0 ? 0 : Math.min(seg.length, solve(seg, need)))
            if (t >= options.durationMs) return undefined
            n++
            return t
          }
          k++
        }
        return undefined
      },
    }
    const avg = segs.reduce((s, x) => s + (x.r0 + x.r1) / 2, 0) / Math.max(1, segs.length)
    return jittered(base, avg > 0 ? 1 / avg : 0, options)
  },
  ownDurationMs(flow) {
    if (!flow.stages?.length) return undefined
    return flow.stages.reduce((s, x) => s + durationMs(x.duration), 0)
  },
  vus(flow) {
    const pre = flow.preAllocatedVUs ?? 10
    return { preAllocated: pre, max: Math.max(pre, flow.maxVUs ?? pre * 10) }
  },
}
