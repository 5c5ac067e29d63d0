/**
 * The journal of a run: events and phases as they happen, in epoch ms, the
 * fault windows and probe results, and the one rule that turns them into a
 * {@link RunRecord} — for the live status while the run goes
 * (`partial: true`) and for the final record alike. Times go onto the axis of
 * t0 (ms since the start of the load) only when a record is built, so what
 * happened before t0 was known (preflight, start-up events) needs no shifting.
 */
import type {
  AbortedBy,
  FaultWindow,
  LoadResult,
  PhaseName,
  PhaseRecord,
  ProbeResult,
  RunEvent,
  RunRecord,
  RunStatus,
} from '../record/index.ts'
import type { Scenario } from '../scenario/schema.ts'
import type { Clock } from './timeline.ts'

interface JournalPhase {
  name: PhaseName
  /** Epoch ms. */
  start: number
  end?: number
  status: PhaseRecord['status']
  detail?: string
  /** Recorded over a known window (recovery, steady-state-after) rather than as it happened. */
  over?: true
}

interface JournalEvent {
  /** Epoch ms. */
  at: number
  source: string
  type: string
  data?: Record<string, unknown>
}

/**
 * @example
 * const journal = new Journal(systemClock)
 * journal.phaseStart('preflight')
 * journal.fixT0(Date.now() + 50)
 * journal.emit('runner', 'fault.injected', { fault: 'clock-skew' })
 */
export class Journal {
  readonly #clock: Clock
  /** Epoch ms at which the journal began. */
  readonly startedAt: number
  #t0: number
  #t0Fixed = false
  readonly #events: JournalEvent[] = []
  readonly #phases: JournalPhase[] = []
  /** Fault windows and probe results, in ms since t0 (they all happen after t0 is fixed). */
  readonly faults: FaultWindow[] = []
  readonly probes: ProbeResult[] = []

  constructor(clock: Clock) {
    this.#clock = clock
    this.startedAt = clock.now()
    this.#t0 = this.startedAt
  }

  /** Epoch ms of t0: the start of the load once scheduled, the journal's start until then. */
  get t0(): number {
    return this.#t0
  }

  get t0Fixed(): boolean {
    return this.#t0Fixed
  }

  /** Fix t0 (epoch ms), when the load is scheduled. */
  fixT0(epochMs: number): void {
    this.#t0 = epochMs
    this.#t0Fixed = true
  }

  /** ms since t0 of an epoch time (default now). */
  sinceT0(epochMs = this.#clock.now()): number {
    return epochMs - this.#t0
  }

  emit(source: string, type: string, data?: Record<string, unknown>, at = this.#clock.now()): void {
    this.#events.push({ at, source, type, ...(data ? { data } : {}) })
  }

  /** Events so far, on the axis of t0, in time order. */
  events(): RunEvent[] {
    return this.#events
      .map((e) => ({ t: e.at - this.#t0, source: e.source, type: e.type, ...(e.data ? { data: e.data } : {}) }))
      .sort((a, b) => a.t - b.t)
  }

  phaseStart(name: PhaseName): void {
    this.#phases.push({ name, start: this.#clock.now(), status: 'completed' })
  }

  /** End the open phase, if there is one. */
  phaseEnd(status: PhaseRecord['status'] = 'completed', detail?: string): void {
    const p = this.#phases.at(-1)
    if (p && p.end === undefined) {
      p.end = this.#clock.now()
      p.status = status
      if (detail) p.detail = detail
    }
  }

  /** A phase that ran over a window already known (ms since t0). */
  phaseOver(name: PhaseName, from: number, to: number): void {
    this.#phases.push({ name, start: this.#t0 + from, end: this.#t0 + to, status: 'completed', over: true })
  }

  /** Name of the open (or last) phase. */
  currentPhase(): PhaseName | undefined {
    return this.#phases.at(-1)?.name
  }

  /** Phases on the axis of t0; with `closeAt`, an open phase ends there (a record of a run still going). */
  phases(closeAt?: number): PhaseRecord[] {
    return this.#phases.map((p) => {
      const start = p.start - this.#t0
      const end = p.end !== undefined ? p.end - this.#t0 : closeAt !== undefined ? Math.max(start, closeAt) : undefined
      // key order as run.json has always had it
      if (p.over) return { name: p.name, start, ...(end !== undefined ? { end } : {}), status: p.status }
      return {
        name: p.name,
        start,
        status: p.status,
        ...(end !== undefined ? { end } : {}),
        ...(p.detail ? { detail: p.detail } : {}),
      }
    })
  }
}

/**
 * The record's windows (ms since t0): the steady state before the first
 * fault, the faults, and the recovery after the last revert. While faults are
 * still to come (`faultsPending`, a run in progress) there is no recovery yet.
 *
 * @example recordWindows(faults, 5_000, record.load.durationMs)
 */
export function recordWindows(
  faults: readonly FaultWindow[],
  warmupMs: number,
  endMs: number,
  faultsPending = false,
): RunRecord['windows'] {
  const injected = faults.filter((w) => w.status !== 'inject-failed')
  const firstInject = injected.length ? Math.min(...injected.map((w) => w.injectedAt)) : undefined
  const lastRevert = injected.length ? Math.max(...injected.map((w) => w.revertedAt ?? endMs)) : undefined
  const windows: RunRecord['windows'] = { steadyState: [warmupMs, Math.max(warmupMs, firstInject ?? endMs)] }
  if (firstInject !== undefined && lastRevert !== undefined) {
    windows.fault = [firstInject, lastRevert]
    if (lastRevert < endMs && !faultsPending) windows.recovery = [lastRevert, endMs]
  }
  return windows
}

/** What a record says about the run besides the journal and the load. */
export interface RecordFacts {
  runId: string
  scenario: Scenario
  seed: number
  engine: RunRecord['engine']
  runtime: string
  targets: RunRecord['targets']
  environment: RunRecord['environment']
  warmupMs: number
}

/** How the run ended (the final record) or that it has not (a partial one). */
export type RecordEnd =
  | { partial: true; faultsPending: boolean }
  | {
      partial: false
      status: RunStatus
      abortedBy?: AbortedBy
      error?: RunRecord['error']
      exitCode: number
      /** Epoch ms. */
      endedAt: number
      /** Where the windows end, ms since t0, when the load never ran (default: the load's duration). */
      endMs?: number
    }

/**
 * The one builder of a run record, live and final. A partial record is a
 * completed run that ends now: open phases close at the load's elapsed time,
 * and there is no recovery while faults are still to come. A final record of
 * a run that completed gets its recovery and steady-state-after phases.
 *
 * @example const record = toRecord(journal, facts, load, { partial: true, faultsPending: false })
 */
export function toRecord(journal: Journal, facts: RecordFacts, load: LoadResult, end: RecordEnd): RunRecord {
  const t0 = journal.t0
  const endMs = !end.partial && end.endMs !== undefined ? end.endMs : load.durationMs
  const windows = recordWindows(journal.faults, facts.warmupMs, endMs, end.partial && end.faultsPending)
  if (!end.partial && end.status === 'completed' && windows.recovery) {
    journal.phaseOver('recovery', windows.recovery[0], windows.recovery[1])
    journal.phaseOver('steady-state-after', windows.recovery[0], windows.recovery[1])
  }
  return {
    schemaVersion: 2,
    runId: facts.runId,
    scenarioId: facts.scenario.id,
    title: facts.scenario.title,
    status: end.partial ? 'completed' : end.status,
    ...(!end.partial && end.abortedBy ? { abortedBy: end.abortedBy } : {}),
    exitCode: end.partial ? 0 : end.exitCode,
    deviated: false,
    startedAt: new Date(t0).toISOString(),
    endedAt: new Date(end.partial ? t0 + endMs : end.endedAt).toISOString(),
    t0,
    seed: facts.seed,
    engine: facts.engine,
    runtime: facts.runtime,
    scenario: facts.scenario,
    targets: facts.targets,
    phases: journal.phases(end.partial ? endMs : undefined),
    load: end.partial ? { ...load, engine: facts.engine.id, startedAt: t0 } : load,
    events: journal.events(),
    faults: [...journal.faults].sort((a, b) => a.index - b.index),
    probes: [...journal.probes].sort((a, b) => a.index - b.index),
    windows,
    environment: facts.environment,
    ...(!end.partial && end.error ? { error: end.error } : {}),
  }
}
