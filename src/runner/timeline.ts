/**
 * The method on the load's time axis: one scheduler for everything that
 * happens at an offset from t0 (phase changes, fault injections and reverts,
 * probes), and the set of active faults whose reverts are guaranteed on
 * success, error, abort and signal. Both take a {@link Clock}, so tests
 * drive them with a fake one and no server.
 */
import { Value } from '@sinclair/typebox/value'
import { type ErrorCode, GamedayError, isGamedayError } from '../errors.ts'
import { faults as faultRegistry } from '../faults/index.ts'
import type { ActiveFault, FaultDefinition, UnitContext } from '../faults/types.ts'
import type { Logger } from '../log.ts'
import { probes as probeRegistry } from '../probes/index.ts'
import type { ProbeDefinition } from '../probes/types.ts'
import type { FaultWindow, ProbeResult } from '../record/index.ts'
import type { TimelineEntry } from '../scenario/schema.ts'
import { parseDuration } from '../util/duration.ts'
import { maskSecrets } from '../util/secrets.ts'

/**
 * The error a failure the run survives is reported as (a fault that did not
 * inject or revert, a probe that failed): the unit's own code and hint when
 * it raised a GamedayError, else `fallback`'s; the message names the entry.
 *
 * @example
 * ```ts
 * midRunError('ERR_PROBE_FAILED', 'probe fail-open (timeline[1])', new Error('socket hang up')).message
 * // 'probe fail-open (timeline[1]): socket hang up'
 * ```
 */
export function midRunError(fallback: ErrorCode, what: string, err: unknown): GamedayError {
  const message = `${what}: ${maskSecrets(err instanceof Error ? err.message : String(err))}`
  return isGamedayError(err)
    ? new GamedayError(err.code, message, { hint: maskSecrets(err.hint), cause: err })
    : new GamedayError(fallback, message, { cause: err })
}

/** Wall-clock time and timers (epoch ms). */
export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
}

/**
 * Runs callbacks at epoch times; `cancelAll` drops whatever has not run.
 *
 * @example
 * const s = new Scheduler(systemClock)
 * s.at(t0 + 5_000, () => journal.phaseStart('steady-state-before'))
 */
export class Scheduler {
  readonly #clock: Clock
  readonly #pending = new Set<unknown>()
  #cancelled = false

  constructor(clock: Clock) {
    this.#clock = clock
  }

  /** Run `fn` at epoch ms `at` (at once when that is past). Returns a function that cancels it. */
  at(at: number, fn: () => void): () => void {
    if (this.#cancelled) return () => undefined
    const handle = this.#clock.setTimeout(
      () => {
        this.#pending.delete(handle)
        fn()
      },
      Math.max(0, at - this.#clock.now()),
    )
    this.#pending.add(handle)
    return () => {
      if (this.#pending.delete(handle)) this.#clock.clearTimeout(handle)
    }
  }

  /** Cancel everything still pending; later `at` calls do nothing. */
  cancelAll(): void {
    this.#cancelled = true
    for (const h of this.#pending) this.#clock.clearTimeout(h)
    this.#pending.clear()
  }
}

/** Revert outcome of one fault, for the journal. */
export type RevertListener = (window: FaultWindow) => void

/**
 * The faults injected and not yet reverted (a small disposal stack: Node 20
 * has no AsyncDisposableStack). `revertAll` reverts every one, each within
 * `timeoutMs`; reverting twice is harmless.
 */
export class ActiveFaults {
  readonly #clock: Clock
  readonly #timeoutMs: number
  readonly #sinceT0: () => number
  readonly #onReverted: RevertListener
  readonly #active = new Map<number, { fault: ActiveFault; window: FaultWindow; cancelTimer?: () => void }>()
  #closed = false

  constructor(options: { clock: Clock; timeoutMs: number; sinceT0: () => number; onReverted: RevertListener }) {
    this.#clock = options.clock
    this.#timeoutMs = options.timeoutMs
    this.#sinceT0 = options.sinceT0
    this.#onReverted = options.onReverted
  }

  /** Fault ids active now. */
  ids(): string[] {
    return [...this.#active.values()].map((a) => a.window.fault)
  }

  add(index: number, fault: ActiveFault, window: FaultWindow, cancelTimer?: () => void): void {
    this.#active.set(index, { fault, window, ...(cancelTimer ? { cancelTimer } : {}) })
    // injected after the run began to wind down: reverted at once
    if (this.#closed) void this.revert(index)
  }

  /** Revert one fault (by timeline index); nothing when it is not active. */
  async revert(index: number): Promise<void> {
    const entry = this.#active.get(index)
    if (!entry) return
    this.#active.delete(index)
    entry.cancelTimer?.()
    let timer: unknown
    try {
      await Promise.race([
        entry.fault.revert(),
        new Promise((_, reject) => {
          timer = this.#clock.setTimeout(
            () => reject(new Error(`revert took longer than ${this.#timeoutMs} ms`)),
            this.#timeoutMs,
          )
        }),
      ])
      entry.window.status = 'reverted'
    } catch (err) {
      entry.window.status = 'revert-failed'
      entry.window.error = maskSecrets((err as Error).message)
    } finally {
      this.#clock.clearTimeout(timer)
    }
    entry.window.revertedAt = this.#sinceT0()
    this.#onReverted(entry.window)
  }

  /** Revert every active fault; a fault added afterwards is reverted as soon as it is added. */
  async revertAll(): Promise<void> {
    this.#closed = true
    await Promise.all([...this.#active.keys()].map((i) => this.revert(i)))
  }
}

export interface TimelineOptions {
  entries: readonly TimelineEntry[]
  /** Epoch ms of t0. */
  t0: number
  scheduler: Scheduler
  active: ActiveFaults
  ctx: UnitContext
  signal: AbortSignal
  log: Logger
  runId: string
  /** Fault windows and probe results are appended here. */
  faults: FaultWindow[]
  probes: ProbeResult[]
  /** Called before each fault is injected; false keeps it (and the run's method) from starting. */
  gate?(): boolean
  /** A failure the run survives (a fault that did not inject, a probe that failed), with its code and hint. */
  onError?(error: GamedayError): void
  registries?: { faults: Record<string, FaultDefinition>; probes: Record<string, ProbeDefinition> }
}

/**
 * Schedule the scenario's timeline: each fault injected at its offset and
 * reverted after its duration, each probe started at its offset.
 *
 * @returns the probe runs, to wait for at the end
 */
export function scheduleTimeline(o: TimelineOptions): Array<Promise<void>> {
  const { ctx, log, runId, signal } = o
  const faults = o.registries?.faults ?? faultRegistry
  const probes = o.registries?.probes ?? probeRegistry
  const probeRuns: Array<Promise<void>> = []
  o.entries.forEach((entry, index) => {
    const at = parseDuration(entry.at) ?? 0
    o.scheduler.at(o.t0 + at, () => {
      if (signal.aborted) return
      if (entry.fault) {
        const def = faults[entry.fault]
        if (!def || (o.gate && !o.gate())) return
        const params = Value.Default(def.params, structuredClone(entry.params)) as Record<string, unknown>
        const window: FaultWindow = { index, fault: def.id, params, injectedAt: ctx.now(), status: 'active' }
        o.faults.push(window)
        log.info({ runId, fault: def.id, index }, 'fault.injecting')
        const holdMs = parseDuration(entry.duration ?? def.defaultDuration) ?? 0
        def.inject(ctx, params, signal).then(
          (fault) => {
            window.injectedAt = Math.min(window.injectedAt, ctx.now())
            if (fault.details) window.details = fault.details
            ctx.emit('fault.injected', { fault: def.id, index })
            log.info({ runId, fault: def.id, index }, 'fault.injected')
            const cancel = o.scheduler.at(o.t0 + window.injectedAt + holdMs, () => void o.active.revert(index))
            o.active.add(index, fault, window, cancel)
          },
          (err: unknown) => {
            window.status = 'inject-failed'
            window.error = maskSecrets((err as Error).message)
            window.revertedAt = ctx.now()
            ctx.emit('fault.inject_failed', { fault: def.id, index, error: window.error })
            const error = midRunError(
              'ERR_FAULT_INJECT_FAILED',
              `fault ${def.id} (timeline[${index}]) did not inject`,
              err,
            )
            log.error({ runId, fault: def.id, index, errorCode: error.code, err: window.error }, 'fault.inject_failed')
            o.onError?.(error)
          },
        )
      } else if (entry.probe) {
        const def = probes[entry.probe]
        if (!def) return
        const params = Value.Default(def.params, structuredClone(entry.params)) as Record<string, unknown>
        const startedAt = ctx.now()
        ctx.emit('probe.started', { probe: def.id, index })
        probeRuns.push(
          def.run(ctx, params, signal).then(
            (outcome) => {
              o.probes.push({ ...outcome, index, probe: def.id, startedAt, endedAt: ctx.now() })
              ctx.emit('probe.finished', { probe: def.id, index, status: outcome.status })
            },
            (err: unknown) => {
              o.probes.push({
                index,
                probe: def.id,
                name: def.summary,
                status: 'failed',
                value: null,
                unit: 'count',
                observations: [],
                startedAt,
                endedAt: ctx.now(),
                error: maskSecrets((err as Error).message),
              })
              ctx.emit('probe.failed', { probe: def.id, index })
              if (signal.aborted) return // stopped by the end of the run, not failed on its own
              const error = midRunError('ERR_PROBE_FAILED', `probe ${def.id} (timeline[${index}]) failed`, err)
              log.error({ runId, probe: def.id, index, errorCode: error.code, err: error.message }, 'probe.failed')
              o.onError?.(error)
            },
          ),
        )
      }
    })
  })
  return probeRuns
}
