/**
 * Executors decide WHEN iterations start, with k6's names and meaning. They are
 * pure schedulers: an arrival schedule (open model) or a VU count (closed
 * model); {@link runExecutor} in `run.ts` turns them into iterations with an
 * injectable clock so pacing and dropped iterations are testable without sleeps.
 */
import type { FlowConfig } from '../../scenario/schema.ts'

/** Time source of the load loop; the real one is `performance`-based, tests inject a virtual one. */
export interface Clock {
  /** Epoch ms, sub-ms resolution. */
  now(): number
  /** Resolve at (or just after) epoch ms `at`; resolves early when `signal` aborts. */
  sleepUntil(at: number, signal?: AbortSignal): Promise<void>
}

/** Intended start times of an open-model flow, ms since the flow's own start, increasing. */
export interface ArrivalSchedule {
  /** The next intended start, or `undefined` when the flow has no more iterations. */
  next(): number | undefined
}

export interface ScheduleOptions {
  /** How long the flow runs, ms. */
  durationMs: number
  /** Seeded random in [0, 1) for jitter; only used when `jitter` > 0. */
  random?: () => number
  /** Uniform jitter as a share of the local inter-arrival gap (0 = none, the default). */
  jitter?: number
}

export interface ExecutorDefinition {
  readonly id: FlowConfig['executor']
  readonly summary: string
  /** `open`: arrivals do not wait for responses; `closed`: each VU starts its next iteration when the last ends. */
  readonly model: 'open' | 'closed'
  /** Arrival schedule (open model only). */
  schedule?(flow: FlowConfig, options: ScheduleOptions): ArrivalSchedule
  /** Total length of the flow when it defines its own (ramping stages), ms. */
  ownDurationMs?(flow: FlowConfig): number | undefined
  /** VUs to allocate at start and the ceiling. */
  vus(flow: FlowConfig): { preAllocated: number; max: number }
}
