/**
 * LoadEngine contract: `run(plan, targets, signal) → LoadResult`. Open-model
 * executors (constant and ramping arrival rate) and a closed model (constant
 * VUs), with k6's names. Latency is measured from the intended start time.
 */
import type { LoadResult } from '../record/index.ts'
import type { Targets } from '../runtime/types.ts'
import type { LoadConfig } from '../scenario/schema.ts'

// The live figures are part of the record's live accumulator (src/record/live.ts).
export type { LoadProgress } from '../record/live.ts'
import type { LoadProgress } from '../record/live.ts'

export interface LoadRunOptions {
  signal: AbortSignal
  seed: number
  /** Folder for engine artefacts (the k6 script, k6 JSON output). */
  runDir?: string
  onProgress?(p: LoadProgress): void
  /** Epoch ms at which the first iteration is scheduled (t0); default: now + a short lead. */
  startAt?: number
  /** Called by flows when a token/secret is minted so it can be masked in logs and reports. */
  registerSecret?(value: string): void
  /** SLOs with resolved objectives, for engines that judge thresholds themselves (k6). */
  slos?: Array<{ id: string; objective: string }>
}

/**
 * What faults may change in a running load, through the engine (the
 * embedded engine has it; k6 has no channel into its running VUs).
 */
export interface LoadControl {
  /**
   * Move the clock the load's clients date their DPoP proofs with (`iat`) by
   * `seconds` (positive: ahead; 0 restores it). Resolves once the engine
   * applied it, or at once when the load has ended.
   */
  setClientClockOffset(seconds: number): Promise<void>
}

/** A load whose engine has booted and whose flows have run their setup; `start` begins the iterations. */
export interface PreparedLoad {
  /** The running load's control, when the engine has one. */
  readonly control?: LoadControl
  /** Begin the load with t0 = `startAt` (epoch ms; default now). Resolves with the result at the end. */
  start(startAt?: number): Promise<LoadResult>
  /** Give up without starting (stops the engine). */
  cancel(): Promise<void>
}

export interface LoadEngineDefinition {
  readonly id: string
  readonly summary: string
  /** Throws ERR_ENV_K6_NOT_FOUND etc. when the engine cannot run here. */
  available(): Promise<{ ok: true; version?: string } | { ok: false; reason: string }>
  run(plan: LoadConfig, targets: Targets, options: LoadRunOptions): Promise<LoadResult>
  /** True when its prepared load has a {@link LoadControl} (faults that need `load-control` can run). */
  readonly loadControl?: boolean
  /**
   * Optional: boot the engine and run flow setup (logins, virtual clients) now,
   * so the runner can pick t0 afterwards and keep faults aligned with the load.
   * `options.startAt` is ignored here; pass it to `start`.
   */
  prepare?(plan: LoadConfig, targets: Targets, options: LoadRunOptions): Promise<PreparedLoad>
  /**
   * Optional: start booting the engine before the plan and targets are known
   * (the runner calls it before the stack starts, so the two overlap). Returns
   * a function that releases what was booted when no prepare used it.
   */
  preboot?(): () => void
}
