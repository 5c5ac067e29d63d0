/**
 * SLO contract: an indicator computed from the RunRecord, an objective in k6
 * threshold syntax, a window. Scoring never knows which engine or runtime
 * produced the numbers.
 */
import type { RunRecord } from '../record/index.ts'
import type { SloEntry, SloWindowValue } from '../scenario/schema.ts'
import type { Threshold } from './threshold.ts'

export interface IndicatorValue {
  /** The measured value in the objective's unit (rate 0–1, ms, count, boolean as 0/1); null when there was no data. */
  value: number | null
  /** Events behind the value: good / total for rates, samples for latencies. */
  good?: number
  total?: number
  /** Extra breakdown for attribution (reason → count, rs → value, ...). */
  breakdown?: Record<string, number>
  /** Set when the data proves a breach whatever the number says (a probe that timed out); the text says why. */
  forceFail?: string
}

/**
 * What can give an SLO its data: any one of these in a scenario feeds it
 * (a flow of the load, a probe or a fault in the timeline). Validation
 * refuses an SLO that nothing in its scenario feeds: it could only fail with
 * "no data" after the whole run.
 */
export interface SloFeeders {
  /** Load flows whose requests it reads; `any` for every flow. */
  readonly flows?: readonly string[] | 'any'
  /** Only flows with `dpop: true` feed it (the DPoP SLOs). */
  readonly dpop?: boolean
  readonly probes?: readonly string[]
  readonly faults?: readonly string[]
  /** Run options that feed it (`prometheus`: `run --prometheus`); checked when the run starts, not by `validate`. */
  readonly runOptions?: readonly 'prometheus'[]
}

export interface SloDefinition {
  /** Catalog id: M1–M10, S1. */
  readonly id: string
  readonly title: string
  /** Default objective in k6 threshold syntax (`rate>=0.999`, `p(95)<300ms`, `max<10s`). */
  readonly objective: string
  readonly window: SloWindowValue
  /** The indicator's unit when the objective's aggregate does not give it (M11: `retries per token`, not ms). */
  readonly unit?: string
  readonly severity: 'critical' | 'major' | 'minor'
  /** What in a scenario feeds it (see {@link SloFeeders}). */
  readonly feeders: SloFeeders
  /** Compute the indicator over [from, to) ms since t0, optionally for one RS. */
  indicator(
    record: RunRecord,
    window: [number, number],
    target?: string,
    threshold?: Threshold,
    entry?: SloEntry,
  ): IndicatorValue
  /** A human explanation of a breach, from the data (e.g. 401s with unknown_kid → "RS did not refetch the key set"). */
  attribute?(record: RunRecord, window: [number, number], value: IndicatorValue): string | undefined
}

/** One resource server's share of an RS-measured SLO (see src/slo/per-rs.ts). */
export interface RsScore {
  rs: string
  measured: number | null
  pass: boolean
  noData: boolean
  /** Distance to the objective in its unit (positive = inside). */
  margin: number | null
  /** The most frequent rejection reason (M3), when there were rejections. */
  reason?: string
  /** Ms since t0 of the first second this RS breached the objective. */
  firstBrokeAt?: number
  /** Why the data proves a breach whatever the number says. */
  forceFail?: string
}

export interface SloScore {
  id: string
  title: string
  objective: string
  window: SloWindowValue
  windowMs: [number, number]
  severity: 'critical' | 'major' | 'minor'
  measured: number | null
  pass: boolean
  /** Distance to the objective in its unit (positive = inside). */
  margin: number | null
  /** Share of the error budget used (rate objectives), 0–∞. */
  budgetConsumed: number | null
  attribution?: string
  noData: boolean
  /** The resource server the score is restricted to, when the scenario named one. */
  target?: string
  /** Per resource server, worst first: RS-measured SLOs (M3, M5, M9, S1, S2) whose entry names no target. */
  perRs?: RsScore[]
  /** Ms since t0 of the first second the SLO breached its objective (failing scores with data). */
  firstBrokeAt?: number
}

export interface Verdict {
  pass: boolean
  /** Share of SLOs held, weighted by severity (critical 3, major 2, minor 1), 0–1. */
  score: number
  slos: SloScore[]
  steadyState: { before: { held: boolean; failed: string[] } | null; after: { held: boolean; failed: string[] } | null }
  /** The exit code for this verdict (0, 99, 105). */
  exitCode: number
}
