/**
 * `--smoke`: any scenario at a quarter of its length, for a quick check that a
 * plan runs end to end (k6's smoke test). Every time of the plan scales by one
 * factor — load duration, warm-up, graceful stop, flow start times, lengths
 * and stages, timeline offsets and fault windows — so the plan keeps its
 * shape and stays valid; floors keep a run long enough to measure. What the
 * system under test is asked to do does not change: fault params (a cache
 * TTL, a skew) and probe timeouts stay as written. The detection matrix
 * (scripts/matrix.ts) cuts the same way at half length, with room for each
 * probe's timeout.
 */
import { formatDuration, parseDuration } from '../util/duration.ts'
import type { Scenario } from './schema.ts'

/** The share of its length a smoke run keeps. */
export const SMOKE_FACTOR = 0.25
/** The shortest smoke load: enough for a warm-up, a fault and a recovery. */
export const SMOKE_MIN_LOAD_MS = 10_000
const MIN_WARMUP_MS = 1000
const MIN_WINDOW_MS = 1000

/** How a smoke plan is cut; the defaults are `--smoke`'s. */
export interface SmokeOptions {
  /** The share of its length the plan keeps (default {@link SMOKE_FACTOR}). */
  factor?: number
  /** The shortest load, and plans at most this long are not cut (default {@link SMOKE_MIN_LOAD_MS}). */
  minLoadMs?: number
  /** A fault's own length for timeline entries without a `duration`, so their window scales too. */
  defaultFaultMs?: (faultId: string) => number | undefined
  /**
   * Keep the load long enough for each probe's `timeout` as written (never
   * longer than the original): a probe cut off by the end of the load has no
   * result, so a mechanism slower than the cut load (a 30 s introspection
   * cache) is still measured. Off for `--smoke`, where length comes first.
   */
  probeRoom?: boolean
}

const ms = (d: string) => parseDuration(d) ?? 0
/** Round to 100 ms so durations print short (`7.5s`, not `7512ms`). */
const fmt = (n: number) => {
  const r = Math.max(0, Math.round(n / 100) * 100)
  return r % 1000 === 0 || r < 1000 ? formatDuration(r) : `${r / 1000}s`
}

/**
 * The smoke version of a validated scenario (a copy; the original is not
 * touched).
 *
 * @example
 * ```ts
 * smoke(scenario, { defaultFaultMs: (id) => parseDuration(faults[id]!.defaultDuration) }).load.duration // '15s' for a 60s scenario
 * smoke(scenario, { factor: 0.5, probeRoom: true }).load.duration // '30s' for a 60s scenario without probes
 * ```
 */
export function smoke(scenario: Scenario, options: SmokeOptions = {}): Scenario {
  const { factor = SMOKE_FACTOR, minLoadMs = SMOKE_MIN_LOAD_MS } = options
  const defaultFaultMs = options.defaultFaultMs ?? (() => undefined)
  const out = structuredClone(scenario)
  const loadMs = ms(scenario.load.duration)
  if (loadMs <= minLoadMs) return out
  const cutMs = Math.max(minLoadMs, loadMs * factor)
  const f = cutMs / loadMs
  const scale = (d: string, floor = 0) => fmt(Math.max(Math.min(floor, ms(d)), ms(d) * f))
  const probeEnds = options.probeRoom
    ? scenario.timeline
        .filter((e) => e.probe && typeof e.params?.timeout === 'string')
        .map((e) => ms(scale(e.at)) + ms(e.params!.timeout as string))
    : []
  const newLoadMs = Math.min(loadMs, Math.max(cutMs, ...probeEnds))

  out.title = `${scenario.title} (smoke: ${Math.round((newLoadMs / loadMs) * 100)}% length)`
  out.load.duration = fmt(newLoadMs)
  out.load.warmup = scale(scenario.load.warmup, MIN_WARMUP_MS)
  out.load.gracefulStop = scale(scenario.load.gracefulStop, MIN_WINDOW_MS)
  for (const flow of out.load.flows) {
    flow.startTime = scale(flow.startTime)
    if (flow.duration) flow.duration = scale(flow.duration, MIN_WINDOW_MS)
    for (const stage of flow.stages ?? []) stage.duration = scale(stage.duration, MIN_WINDOW_MS)
  }
  const end = ms(out.load.duration)
  for (const entry of out.timeline) {
    entry.at = scale(entry.at)
    if (!entry.fault) continue
    const own = entry.duration !== undefined ? ms(entry.duration) : defaultFaultMs(entry.fault)
    if (own === undefined) continue
    // a floor must not push a revert past the end of the load (validation would refuse the plan)
    const length = Math.min(Math.max(Math.min(MIN_WINDOW_MS, own), own * f), end - ms(entry.at))
    entry.duration = fmt(Math.max(100, length))
  }
  return out
}
