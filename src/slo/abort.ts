/**
 * Abort conditions, k6 style: an SLO entry with `abortOnFail: true` ends the
 * run early once the live scoring finds it broken so far, but not before
 * `delayAbortEval` into the load (so a slow start does not end a run).
 * "Not known yet" (no data, its window not reached) never aborts.
 */
import type { SloEntry } from '../scenario/schema.ts'
import { parseDuration } from '../util/duration.ts'
import { type LiveSloStatus, labelOf } from './live.ts'

/**
 * The first entry with `abortOnFail` that is broken so far at `elapsedMs`
 * (past its `delayAbortEval`), or undefined.
 *
 * @example
 * abortingSlo([{ id: 'M3', abortOnFail: true, delayAbortEval: '10s' }], { M3: false }, 12_000) // { id: 'M3', label: 'M3' }
 */
export function abortingSlo(
  entries: readonly SloEntry[],
  status: LiveSloStatus,
  elapsedMs: number,
): { id: string; label: string } | undefined {
  for (const e of entries) {
    if (!e.abortOnFail) continue
    if (elapsedMs < (parseDuration(e.delayAbortEval ?? '0s') ?? 0)) continue
    const label = labelOf(e)
    if (status[label] === false) return { id: e.id, label }
  }
  return undefined
}
