/**
 * Metrics outputs (`run --out-metrics <id>=<arg>`), in k6's `--out` shape:
 * each output streams the engine's own metrics ({@link MetricsSnapshot})
 * somewhere while the run goes on, and once more at the end.
 */
import type { Logger } from '../log.ts'

/** Classic latency bucket bounds, seconds (Prometheus' defaults and 0.3 s, the M2 objective). */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.3, 0.5, 1, 2.5, 5, 10,
]

/** One cumulative series: a counter (`_total` in Prometheus), or a gauge. */
export interface ScalarSeries {
  readonly name: string
  readonly kind: 'counter' | 'gauge'
  /** Engine tags (flow, endpoint, status, reason, target, …), no run labels. */
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

/** One cumulative latency histogram with classic buckets (upper bounds in seconds, `+Inf` last). */
export interface HistogramSeries {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  /** Cumulative counts, one per {@link LATENCY_BUCKETS_SECONDS} bound, then +Inf. */
  readonly buckets: readonly number[]
  /** Sum of latencies, seconds. */
  readonly sum: number
  readonly count: number
}

/** Everything the engine has counted so far, cumulative since t0. */
export interface MetricsSnapshot {
  /** Epoch ms the snapshot was taken. */
  readonly at: number
  readonly scalars: readonly ScalarSeries[]
  readonly histograms: readonly HistogramSeries[]
}

/** What every output gets: who the run is, for the `run_id` / `scenario` labels. */
export interface OutputContext {
  readonly runId: string
  readonly scenario: string
  readonly log: Logger
  /** Record a run event (push failures). */
  emit(type: string, data: Record<string, unknown>): void
}

/** A started output. */
export interface MetricsOutput {
  /** How often {@link write} wants a snapshot, ms. */
  readonly intervalMs: number
  /** Send or append the snapshot; never throws (failures are warnings and events). */
  write(snapshot: MetricsSnapshot): Promise<void>
  /** The last write has happened: release files and sockets. */
  close(): Promise<void>
}

export interface MetricsOutputDefinition {
  /** The id before `=` in `--out-metrics`. */
  readonly id: string
  readonly summary: string
  /** What goes after `=`: `FILE`, `URL`. */
  readonly argument: string
  /** Check the argument (and the output's environment variables) before anything starts; throws a message. */
  check(arg: string): void
  start(arg: string, ctx: OutputContext): Promise<MetricsOutput>
}
