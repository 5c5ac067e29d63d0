/**
 * One game day, from Scenario to Verdict: preflight → warm-up → steady state
 * → timeline (faults and probes) → recovery → steady state → score → reports.
 */
import type { Logger } from './log.ts'
import type { RunRecord } from './record.ts'
import type { Scenario } from './scenario/schema.ts'
import type { Verdict } from './slo/types.ts'

export interface RunProgress {
  phase: string
  elapsedMs: number
  totalMs: number
  rate: number
  p95: number
  errorRate: number
  droppedIterations: number
  activeFaults: string[]
  /** SLO id → held so far (null: no data yet). */
  slos: Record<string, boolean | null>
}

export interface RunOptions {
  /** `embedded` (default) or `k6`. */
  engine?: string
  /** `process` (default) or `containers`. */
  runtime?: string
  /** Reports root; the run goes to `<outDir>/<scenario-id>/<run-id>/`. Default `reports`. */
  outDir?: string
  /** Reporter ids; default: all of json, junit, markdown, html. */
  reporters?: string[]
  seed?: number
  signal?: AbortSignal
  log?: Logger
  onProgress?(p: RunProgress): void
  /** Override flows' arrival rates by a factor or absolute value (capacity planning). */
  rateOverride?: { flow?: string; rate: number }
  /** Path the scenario was loaded from (for messages). */
  source?: string
}

export interface RunOutcome {
  record: RunRecord
  verdict: Verdict
  /** Folder the reports were written to. */
  runDir: string
  /** 0 all SLOs held, 99 an SLO broke, 105 aborted, 1 internal error. */
  exitCode: number
}

/** Run one scenario. Always writes its reports, even when aborted. */
export async function runScenario(_scenario: Scenario, _options: RunOptions = {}): Promise<RunOutcome> {
  throw new Error('runScenario: not implemented yet')
}
