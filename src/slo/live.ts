/**
 * SLO status while a run is in progress, for the live progress block: for
 * each SLO of the scenario, held so far (`true`), broken so far (`false`) or
 * not known yet (`null`: no data, its window not reached, or not computable).
 *
 * The scoring is the verdict's own ({@link scoreRun}) over a partial record:
 * what the runner knows so far, with the load merged from the engine's
 * progress ({@link LiveLoad}) and every window clipped to the time elapsed.
 * It runs at most every `intervalMs` (and, should one evaluation be slow,
 * at most 0.5% of the time); in between the last status is returned, so a
 * tick costs nothing.
 */
import { LiveLoad } from '../load/live-result.ts'
import type { LoadProgress } from '../load/types.ts'
import type { LoadResult, RunRecord } from '../record.ts'
import type { SloEntry, SloWindowValue } from '../scenario/schema.ts'
import { slos as catalog } from './index.ts'
import { resolveWindow, scoreRun } from './score.ts'
import type { SloScore } from './types.ts'

/** SLO label (`M3`; `M3 (orders)` when restricted to one RS; `M3 [recovery]` when listed again for another window) → held so far; null when not known yet. */
export type LiveSloStatus = Record<string, boolean | null>

export interface LiveSlosOptions {
  /** Least time between two evaluations, ms (default 1500: every other progress tick, as they come about once a second). */
  intervalMs?: number
  /** Clock for the interval (default `performance.now`). */
  now?: () => number
}

/** Least ms between evaluations per ms an evaluation took: scoring takes at most 0.5% of the main thread. */
const COST_FACTOR = 200

const labelOf = (s: Pick<SloScore, 'id' | 'target'>) => (s.target ? `${s.id} (${s.target})` : s.id)

/**
 * Accumulates a run's progress and scores its SLOs on what is known so far.
 *
 * @example
 * const live = new LiveSlos(scenario.slos)
 * engineOptions.onProgress = (p) => {
 *   live.add(p)
 *   const slos = live.status(p.elapsedMs, (load) => partialRecord(load))
 * }
 */
export class LiveSlos {
  readonly load = new LiveLoad()
  readonly #slos: readonly SloEntry[]
  /** Windows the SLOs are scored over: latency is folded at their edges only. */
  readonly #windows: readonly SloWindowValue[]
  readonly #intervalMs: number
  readonly #now: () => number
  #last = Number.NEGATIVE_INFINITY
  #status: LiveSloStatus = {}
  /** How long the last evaluation took, ms (building the partial record and scoring it). */
  lastCostMs = 0

  constructor(slos: readonly SloEntry[], options: LiveSlosOptions = {}) {
    this.#slos = slos
    const entries = slos.length > 0 ? slos : Object.keys(catalog).map((id) => ({ id }) as SloEntry)
    this.#windows = [...new Set(entries.map((e) => e.window ?? catalog[e.id]?.window ?? 'run'))]
    this.#intervalMs = options.intervalMs ?? 1500
    this.#now = options.now ?? (() => performance.now())
  }

  /** Merge the per-second data of one progress message (engines without it add nothing). */
  add(progress: Pick<LoadProgress, 'series' | 'counters'>): void {
    this.load.add(progress)
  }

  /**
   * The status per SLO. Scores again when `intervalMs` has passed since the
   * last time, over a record that `build` makes around the load so far (the
   * runner's phases, events, fault windows and probes, with windows ending at
   * `elapsedMs`); otherwise returns the last status.
   */
  status(elapsedMs: number, build: (load: LoadResult) => RunRecord): LiveSloStatus {
    const t = this.#now()
    if (t - this.#last < Math.max(this.#intervalMs, this.lastCostMs * COST_FACTOR)) return this.#status
    this.#last = t
    const started = performance.now()
    try {
      const record = build(this.load.result({ engine: 'live', startedAt: 0, durationMs: Math.max(0, elapsedMs) }))
      const edges: number[] = []
      for (const w of this.#windows) edges.push(...(resolveWindow(record, w) ?? []))
      this.load.cut(edges)
      const verdict = scoreRun(record, this.#slos, [])
      const status: LiveSloStatus = {}
      for (const s of verdict.slos) {
        // the same SLO listed twice (another window) gets the window in its label
        const label = labelOf(s) in status ? `${labelOf(s)} [${s.window}]` : labelOf(s)
        status[label] = s.noData ? null : s.pass
      }
      this.#status = status
    } catch {
      // a record the scoring cannot read yet: nothing is known
      this.#status = Object.fromEntries(
        [...Object.keys(this.#status), ...this.#slos.map(labelOf)].map((k) => [k, null]),
      )
    }
    this.lastCostMs = performance.now() - started
    return this.#status
  }
}
