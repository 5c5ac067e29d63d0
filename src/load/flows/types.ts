/**
 * Flow contract: the unit of traffic. `setup` runs once per run before t0
 * (virtual clients, logins); `iteration` makes the measured request(s) and
 * reports each through `ctx.record`. A flow never throws out of an
 * iteration: every failure is classified and recorded.
 */
import type { MetricFamily, SeriesTags } from '../../record/index.ts'
import type { Targets } from '../../runtime/types.ts'
import type { FlowConfig } from '../../scenario/schema.ts'
import type { Random } from '../../util/random.ts'
import type { HttpClient } from '../http.ts'

/** Tags a flow passes to `record`; `flow` is filled with the flow's name. */
export type RecordTags = Omit<SeriesTags, 'flow'> & { flow?: string }

export interface FlowContext {
  /** Name of this traffic in reports (the `flow` tag). */
  readonly name: string
  readonly config: FlowConfig
  readonly targets: Targets
  readonly http: HttpClient
  /** Request timeout, ms. */
  readonly timeoutMs: number
  /** Seeded random stream of this flow. */
  readonly random: Random
  /** Aborted when the run ends or is aborted (setup work, background renewals). */
  readonly signal: AbortSignal
  /** Epoch ms, sub-ms resolution (the same clock as the intended starts). */
  now(): number
  /**
   * Epoch ms as the flow's clients believe it: the wall clock plus the offset
   * a `dpop-client-clock-skew` fault set (0 otherwise). DPoP proofs take their
   * `iat` from it; absent: the wall clock.
   */
  clientNow?(): number
  /** Record one request of family `metric`; times are epoch ms. */
  record(
    metric: MetricFamily,
    tags: RecordTags,
    intendedStart: number,
    actualStart: number,
    end: number,
    failed: boolean,
  ): void
  /** Add `n` (default 1) to a per-second counter (`reauth_on_401`, `token_renewals`, ...). */
  count(name: string, tags?: Record<string, string>, n?: number): void
  /** Register a minted token or secret for masking. */
  registerSecret(value: string): void
  /** Folder for flow artefacts (failure screenshots); absent when the run has no folder. */
  readonly artifactsDir?: string
  /** A non-fatal problem, kept in `LoadResult.warnings` (deduplicated). */
  warn(message: string): void
}

export interface VuContext {
  /** VU id (1-based, stable for the VU's life). */
  readonly id: number
  /** Epoch ms this iteration was meant to start: the first measured request's latency counts from here. */
  readonly intendedStart: number
  /** Aborted when the graceful-stop window has passed. */
  readonly signal: AbortSignal
}

export interface FlowDefinition<S = unknown> {
  /** Stable kebab-case id, used as `flow:` in scenario YAML. */
  readonly id: FlowConfig['flow']
  /** One sentence for `oauth-gameday list flows`. */
  readonly summary: string
  /** Once per run, before t0. */
  setup(ctx: FlowContext): Promise<S>
  /** One iteration; must not throw. */
  iteration(ctx: FlowContext, vu: VuContext, state: S): Promise<void>
  /**
   * The same iteration in callback form, for flows whose common case needs
   * no promise (the engine prefers it when present): calls `done` exactly
   * once, never synchronously from `start`, and must not throw.
   */
  start?(ctx: FlowContext, vu: VuContext, state: S, done: () => void): void
  /** After the last iteration (stop background renewals). */
  teardown?(ctx: FlowContext, state: S): Promise<void>
}
