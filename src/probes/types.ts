/**
 * Probe contract: `run(ctx, params, signal) → ProbeResult`, a named
 * measurement with a value, a unit and the raw observations behind it. Every
 * probe is bounded in time (`timeout` param) and stops on the signal.
 */
import type { Static, TSchema } from '@sinclair/typebox'
import type { Capability, UnitContext } from '../faults/types.ts'
import type { ProbeResult } from '../record/index.ts'

export type ProbeContext = UnitContext

export type ProbeOutcome = Omit<ProbeResult, 'index' | 'probe' | 'startedAt' | 'endedAt'>

export interface ProbeDefinition<P extends TSchema = TSchema> {
  readonly id: string
  readonly summary: string
  readonly params: P
  needs(params: Static<P>): readonly Capability[]
  run(ctx: ProbeContext, params: Static<P>, signal: AbortSignal): Promise<ProbeOutcome>
}

export function defineProbe<P extends TSchema>(def: ProbeDefinition<P>): ProbeDefinition<P> {
  return def
}
