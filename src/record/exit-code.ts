/**
 * The one function from a run's outcome to its exit code (DESIGN.md's
 * decisions, k6's numbers where k6 has one). The runner fills the record's
 * `exitCode` and the verdict's from it, so the record and the process agree.
 *
 * | status | exit |
 * |---|---|
 * | `completed`, every SLO held | 0 |
 * | `completed`, an SLO broke; `aborted` by an SLO with `abortOnFail` | 99 |
 * | `aborted` by the steady-state gate | 108 |
 * | `interrupted` (SIGINT/SIGTERM) | 105 |
 * | `errored`: the harness failed mid-run | 103 |
 * | refused: the plan cannot run (raised before or during start-up with an exit-104 code) | 104 |
 * | an error nobody raised on purpose (a bug) | 1 |
 */
import { ExitCode, errorCodes } from '../errors.ts'
import type { RunRecord } from './schema.ts'

/** What the exit code depends on: the record's status, why it ended early, its error, and whether the SLOs held. */
export type RunOutcomeFacts = Pick<RunRecord, 'status' | 'abortedBy' | 'error'> & { pass: boolean }

/**
 * The exit code of one run.
 *
 * @example exitCodeFor({ status: 'aborted', abortedBy: 'steady-state', pass: false }) // 108
 */
export function exitCodeFor(outcome: RunOutcomeFacts): number {
  switch (outcome.status) {
    case 'completed':
      return outcome.pass ? ExitCode.ok : ExitCode.sloBreached
    case 'aborted':
      return outcome.abortedBy === 'steady-state' ? ExitCode.steadyStateDeviated : ExitCode.sloBreached
    case 'interrupted':
      return ExitCode.aborted
    case 'errored': {
      const code = outcome.error?.code
      if (code === undefined || !Object.hasOwn(errorCodes, code)) return ExitCode.internal
      return errorCodes[code as keyof typeof errorCodes].exit === ExitCode.invalidInput
        ? ExitCode.invalidInput
        : ExitCode.harnessErrored
    }
  }
}

/** Worst first: interrupted, a bug, the harness errored, refused, steady state deviated, an SLO broke, success. */
const SEVERITY: readonly number[] = [
  ExitCode.aborted,
  ExitCode.internal,
  ExitCode.harnessErrored,
  ExitCode.invalidInput,
  ExitCode.steadyStateDeviated,
  ExitCode.sloBreached,
]

/**
 * The exit code of several runs: the worst one, in the order 105 > 1 > 103 > 104 > 108 > 99 > 0.
 *
 * @example worstExitCode([0, 99, 103]) // 103
 */
export function worstExitCode(codes: readonly number[]): number {
  // a code outside the table ranks below the known failures and above success
  for (const c of SEVERITY) if (codes.includes(c)) return c
  return codes.find((c) => c !== 0) ?? 0
}
