/**
 * The phases of a run, as Chaos Toolkit has them: a steady-state hypothesis
 * before, the method, rollbacks that always run, the hypothesis after. The
 * load runs continuously from t0; the phases during it are windows on that
 * one axis, and a phase with a gate can end the run early.
 */
import type { PhaseName } from '../record/index.ts'

export interface PhaseDefinition {
  readonly name: PhaseName
  /** What must hold to go on; `—` when nothing stops the run here. */
  readonly gate: string
  /** What runs in this phase. */
  readonly runs: string
}

/** The phase table, in order. */
export const PHASES: readonly PhaseDefinition[] = [
  {
    name: 'preflight',
    gate: 'the engine can run; the stack starts; every RS accepts a fresh token',
    runs: 'engine check and preboot, runtime start, token compatibility check',
  },
  { name: 'warmup', gate: '—', runs: 'the load, not scored for the steady state' },
  {
    name: 'steady-state-before',
    gate: 'with steadyStateGate: abort, the steady-state SLOs hold just before the first fault (else aborted, exit 108)',
    runs: 'the load; the hypothesis is measured',
  },
  {
    name: 'method',
    gate: 'no harness component exits or stops answering its health route, no external target is lost (else errored, exit 103)',
    runs: 'the timeline: faults injected and reverted, probes',
  },
  {
    name: 'recovery',
    gate: '—',
    runs: 'the load after the last revert (every fault is reverted, on error and abort too)',
  },
  { name: 'steady-state-after', gate: '—', runs: 'the hypothesis again, over the recovery' },
  { name: 'score', gate: '—', runs: 'SLOs scored on the record' },
  { name: 'report', gate: '—', runs: 'reporters render the record; one writer masks secrets' },
]

/**
 * When the phases during the load begin, in ms since t0: the steady state
 * after the warm-up, the method at the first fault (never before the warm-up ends).
 *
 * @example phaseStarts(5_000, 20_000) // [{ name: 'steady-state-before', at: 5000 }, { name: 'method', at: 20000 }]
 */
export function phaseStarts(
  warmupMs: number,
  firstFaultMs: number | undefined,
): Array<{ name: PhaseName; at: number }> {
  const starts: Array<{ name: PhaseName; at: number }> = [{ name: 'steady-state-before', at: warmupMs }]
  if (firstFaultMs !== undefined) starts.push({ name: 'method', at: Math.max(firstFaultMs, warmupMs) })
  return starts
}
