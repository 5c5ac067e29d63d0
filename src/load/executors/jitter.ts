import type { ArrivalSchedule, ScheduleOptions } from './types.ts'

/**
 * Add seeded uniform jitter (± jitter × gap / 2) to a schedule, keeping it
 * monotonic and inside the flow. No jitter (the default) returns the schedule as is.
 */
export function jittered(base: ArrivalSchedule, gap: number, options: ScheduleOptions): ArrivalSchedule {
  const amount = options.jitter ?? 0
  const random = options.random
  if (amount <= 0 || !random) return base
  let last = 0
  return {
    next() {
      const t = base.next()
      if (t === undefined) return undefined
      const j = (random() - 0.5) * amount * (Number.isFinite(gap) ? gap : 0)
      last = Math.min(options.durationMs - 1e-6, Math.max(last, t + j, 0))
      return last
    },
  }
}
