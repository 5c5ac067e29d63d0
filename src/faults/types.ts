/**
 * Fault contract: `inject(ctx, params, signal) → ActiveFault`. The runner
 * guarantees `revert` runs on success, failure, timeout and Ctrl-C; reverting
 * twice is harmless.
 */
import type { Static, TSchema } from '@sinclair/typebox'
import type { LoadControl } from '../load/types.ts'
import type { Logger } from '../log.ts'
import type { RunEvent } from '../record/index.ts'
import type { Targets } from '../runtime/types.ts'
import type { Scenario } from '../scenario/schema.ts'

/** What a fault or probe needs from the stack. */
export type Capability = 'as-control' | 'cdn' | 'fault-proxy' | 'rs-control' | 'load-control'

export interface UnitContext {
  targets: Targets
  scenario: Scenario
  log: Logger
  /** ms since t0 (the start of the load). */
  now(): number
  /** Record an event in the run journal. */
  emit(type: string, data?: Record<string, unknown>): void
  /** Seeded randomness (repeatable with --seed). */
  random(): number
  /** Events seen so far (from every feed), for faults and probes that react to them. */
  events(): readonly RunEvent[]
  /** The running load's control (the embedded engine's); absent before the load or with an engine that has none. */
  load?: LoadControl
}

export type FaultContext = UnitContext

export interface ActiveFault {
  /** What the fault reports about itself (new kid, revoked subject, ...); goes into the fault window. */
  details?: Record<string, unknown>
  /** Undo the fault. Safe to call twice. */
  revert(): Promise<void>
}

/** Components made unavailable, from params and targets (method-typed so a definition's params narrow it). */
type UnavailableOf<T> = { of(params: T, targets: Targets): readonly string[] }['of']

export interface FaultDefinition<P extends TSchema = TSchema> {
  /** Stable kebab-case id, used as `fault:` in scenario YAML. */
  readonly id: string
  /** One sentence, shown by `oauth-gameday list faults` and in the reference. */
  readonly summary: string
  /** Parameters; every property has a description and, where sensible, a default. */
  readonly params: P
  /** Default time the fault stays before it is reverted, when the timeline names none. */
  readonly defaultDuration: string
  /** What the fault needs from the stack; may depend on params (e.g. via the proxy or the AS). */
  needs(params: Static<P>): readonly Capability[]
  /**
   * Components this fault makes unavailable on purpose (`as`, `rs-<name>`,
   * `jwks-cdn`, `fault-proxy`), or a function of its params and the targets:
   * the runner's health watchdog does not count their failed checks during
   * the fault's window and a short grace after its revert.
   */
  readonly makesUnavailable?: readonly string[] | UnavailableOf<Static<P>>
  /** Apply the fault; the handle reverts it. */
  inject(ctx: FaultContext, params: Static<P>, signal: AbortSignal): Promise<ActiveFault>
}

/** Helper that keeps the param type inferred at the definition site. */
export function defineFault<P extends TSchema>(def: FaultDefinition<P>): FaultDefinition<P> {
  return def
}
