/**
 * One game day, from Scenario to Verdict, in Chaos Toolkit's phases:
 * preflight → warm-up → steady state → method (the timeline: faults and
 * probes) → recovery → steady state → score → reports.
 *
 * The load runs continuously from t0; phases are windows on that one axis.
 * Every fault is reverted on success, failure, timeout and abort; every
 * component is stopped; the record and reports are written even when the run
 * is interrupted (marked aborted).
 */
import { randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { Value } from '@sinclair/typebox/value'
import { GamedayError, isGamedayError } from './errors.ts'
import { faults as faultRegistry } from './faults/index.ts'
import type { ActiveFault, UnitContext } from './faults/types.ts'
import { engines } from './load/index.ts'
import type { LoadRunOptions } from './load/types.ts'
import { createLogger, type Logger } from './log.ts'
import { probes as probeRegistry } from './probes/index.ts'
import type {
  FaultWindow,
  LoadResult,
  PhaseName,
  PhaseRecord,
  ProbeResult,
  RunEvent,
  RunRecord,
  RunStatus,
} from './record.ts'
import { reporters as reporterRegistry } from './report/index.ts'
import { runtimes } from './runtime/index.ts'
import type { StartedStack, Targets } from './runtime/types.ts'
import type { LoadConfig, Scenario } from './scenario/schema.ts'
import { slos as sloCatalog } from './slo/index.ts'
import { type LiveSloStatus, LiveSlos } from './slo/live.ts'
import { scoreRun } from './slo/score.ts'
import type { Verdict } from './slo/types.ts'
import { preflightCheck } from './preflight.ts'
import { parseDuration } from './util/duration.ts'
import { PACKAGE_VERSION } from './util/package-root.ts'
import { deriveSeed, seededRandom } from './util/random.ts'
import { maskSecrets, registerSecret } from './util/secrets.ts'

export interface RunProgress {
  phase: string
  elapsedMs: number
  totalMs: number
  rate: number
  p95: number
  errorRate: number
  droppedIterations: number
  activeFaults: string[]
  /** SLO (`M3`, `M3 (orders)` for one RS) → held so far, false when broken so far, null when not known yet (no data, window not reached). */
  slos: LiveSloStatus
}

export interface RunOptions {
  /** `embedded` (default) or `k6`. */
  engine?: string
  /** `process` (default) or `containers`. */
  runtime?: string
  /** Reports root; the run goes to `<outDir>/<scenario-id>/<run-id>/`. Default `reports`. */
  outDir?: string
  /** Reporter ids; default: every registered reporter. */
  reporters?: string[]
  seed?: number
  signal?: AbortSignal
  log?: Logger
  onProgress?(p: RunProgress): void
  /** Replace the arrival rate of flows (all arrival-rate flows, or the one named) — capacity planning. */
  rateOverride?: { flow?: string; rate: number }
  /** Path the scenario was loaded from (for messages). */
  source?: string
}

export interface RunOutcome {
  record: RunRecord
  verdict: Verdict
  /** Folder the reports were written to. */
  runDir: string
  /** 0 all SLOs held, 99 an SLO broke, 105 aborted, 1 internal error. */
  exitCode: number
}

/** Time between the end of preflight and t0, so the engine's worker is ready. */
const LOAD_LEAD_MS = 1000
/** Lead when the engine is already booted. */
const PREPARED_LEAD_MS = 50
const FEED_POLL_MS = 500
const REVERT_TIMEOUT_MS = 10_000

function runIdNow(): string {
  return `${new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`
}

function unitError(kind: string, id: string): GamedayError {
  return new GamedayError('ERR_UNKNOWN_UNIT', `unknown ${kind} ${JSON.stringify(id)}`, {
    hint: `run \`oauth-gameday list ${kind}s\``,
  })
}

/** Apply a capacity-planning rate override to a load plan. */
export function applyRateOverride(load: LoadConfig, override: RunOptions['rateOverride']): LoadConfig {
  if (!override) return load
  return {
    ...load,
    flows: load.flows.map((f, i) => {
      const name = f.name ?? `${f.flow}-${i}`
      if (override.flow && override.flow !== name && override.flow !== f.flow) return f
      if (f.executor === 'constant-arrival-rate') return { ...f, rate: override.rate }
      if (f.executor === 'ramping-arrival-rate' && f.stages) {
        const peak = Math.max(1, ...f.stages.map((s) => s.target))
        return { ...f, stages: f.stages.map((s) => ({ ...s, target: Math.round((s.target / peak) * override.rate) })) }
      }
      return f
    }),
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

/** Events in time order (the journal is appended to by several feeds). */
function inOrder(events: RunEvent[]): RunEvent[] {
  for (let i = 1; i < events.length; i++)
    if (events[i - 1]!.t > events[i]!.t) return [...events].sort((a, b) => a.t - b.t)
  return events
}

function emptyLoad(engine: string): LoadResult {
  return {
    engine,
    startedAt: Date.now(),
    durationMs: 0,
    latencyBasis: 'intended-start',
    series: [],
    counters: [],
    aborted: true,
    warnings: [],
  }
}

/**
 * Run one scenario. Always writes its reports, even when aborted.
 *
 * @example
 * ```ts
 * const { scenario } = await loadScenario('scenarios/baseline.yaml')
 * const { verdict, runDir } = await runScenario(scenario, { outDir: 'reports' })
 * ```
 */
export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<RunOutcome> {
  const log = options.log ?? createLogger({ name: 'runner' })
  const engineId = options.engine ?? 'embedded'
  const runtimeId = options.runtime ?? 'process'
  const engine = engines[engineId]
  if (!engine) throw unitError('engine', engineId)
  const runtime = runtimes[runtimeId]
  if (!runtime) throw unitError('runtime', runtimeId)
  const reporterIds = options.reporters ?? Object.keys(reporterRegistry)
  for (const id of reporterIds) if (!reporterRegistry[id]) throw unitError('reporter', id)

  const seed = options.seed ?? scenario.seed ?? randomBytes(4).readUInt32BE(0) % 2 ** 31
  const runId = runIdNow()
  const runDir = join(options.outDir ?? 'reports', scenario.id, runId)
  await mkdir(runDir, { recursive: true })
  const random = seededRandom(deriveSeed(seed, 'runner'))

  const abort = new AbortController()
  const onOuterAbort = () => abort.abort(options.signal?.reason ?? new Error('aborted'))
  if (options.signal?.aborted) onOuterAbort()
  else options.signal?.addEventListener('abort', onOuterAbort, { once: true })

  const load = applyRateOverride(scenario.load, options.rateOverride)
  const durationMs = parseDuration(load.duration) ?? 0
  const warmupMs = Math.min(parseDuration(load.warmup) ?? 0, durationMs)
  const startedAtEpoch = Date.now()
  let t0 = startedAtEpoch + 60_000 // replaced when the load is scheduled
  const now = () => Date.now() - t0

  const events: RunEvent[] = []
  const phases: PhaseRecord[] = []
  const faultWindows: FaultWindow[] = []
  const probeResults: ProbeResult[] = []
  const active = new Map<number, { fault: ActiveFault; window: FaultWindow; timer?: NodeJS.Timeout }>()
  const timers: NodeJS.Timeout[] = []
  const probeRuns: Array<Promise<void>> = []
  let stack: StartedStack | undefined
  let loadResult: LoadResult | undefined
  let failure: unknown
  let engineVersion: string | undefined
  let releaseEngine: (() => void) | undefined

  const environment: RunRecord['environment'] = {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpus().length,
    harnessVersion: PACKAGE_VERSION,
  }
  const emit = (type: string, data?: Record<string, unknown>) => {
    events.push({ t: now(), source: 'runner', type, ...(data ? { data } : {}) })
  }
  const phaseStart = (name: PhaseName) => {
    phases.push({ name, start: now(), status: 'completed' })
    log.info({ runId, phase: name }, 'phase.started')
  }
  const phaseEnd = (status: PhaseRecord['status'] = 'completed', detail?: string) => {
    const p = phases.at(-1)
    if (p && p.end === undefined) {
      p.end = now()
      p.status = status
      if (detail) p.detail = detail
    }
  }

  // Event feeds of the reference components, polled into the journal.
  const cursors = new Map<string, number>()
  let polling: NodeJS.Timeout | undefined
  let pollInFlight: Promise<void> | undefined
  const pollFeeds = async (targets: Targets) => {
    await Promise.all(
      targets.feeds.map(async (feed) => {
        try {
          const batch = await feed.poll(cursors.get(feed.source) ?? 0)
          for (const e of batch) {
            events.push({ t: e.time - t0, source: feed.source, type: e.type, ...(e.data ? { data: e.data } : {}) })
            cursors.set(feed.source, Math.max(cursors.get(feed.source) ?? 0, e.seq))
          }
        } catch (err) {
          log.debug({ source: feed.source, err: (err as Error).message }, 'feed.poll_failed')
        }
      }),
    )
  }

  const revert = async (index: number) => {
    const entry = active.get(index)
    if (!entry) return
    active.delete(index)
    if (entry.timer) clearTimeout(entry.timer)
    try {
      await Promise.race([
        entry.fault.revert(),
        new Promise((_, reject) =>
          setTimeout(
            () => reject(new Error(`revert took longer than ${REVERT_TIMEOUT_MS} ms`)),
            REVERT_TIMEOUT_MS,
          ).unref(),
        ),
      ])
      entry.window.status = 'reverted'
      log.info({ runId, fault: entry.window.fault, index }, 'fault.reverted')
    } catch (err) {
      entry.window.status = 'revert-failed'
      entry.window.error = maskSecrets((err as Error).message)
      log.error({ runId, fault: entry.window.fault, index, err: entry.window.error }, 'fault.revert_failed')
    }
    entry.window.revertedAt = now()
    emit('fault.reverted', { fault: entry.window.fault, index, status: entry.window.status })
  }

  try {
    phaseStart('preflight')
    const availability = await engine.available()
    if (!availability.ok) {
      throw new GamedayError(
        engineId === 'k6' ? 'ERR_ENV_K6_NOT_FOUND' : 'ERR_LOAD_ENGINE_FAILED',
        `engine ${engineId} cannot run here: ${availability.reason}`,
      )
    }
    engineVersion = availability.version
    releaseEngine = engine.preboot?.()
    stack = await runtime.start(scenario.stack, { signal: abort.signal, log, runDir, seed })
    const targets = stack.targets
    await preflightCheck(targets, abort.signal)
    phaseEnd()

    // SLO status so far: the runner's journal and the load as the engine streams it, scored every ~2 s
    const live = new LiveSlos(scenario.slos)
    const faultEntries = scenario.timeline.filter((e) => e.fault).length
    const partialRecord = (load: LoadResult): RunRecord => ({
      schemaVersion: 1,
      runId,
      scenarioId: scenario.id,
      title: scenario.title,
      status: 'completed',
      deviated: false,
      startedAt: new Date(t0).toISOString(),
      endedAt: new Date(t0 + load.durationMs).toISOString(),
      t0,
      seed,
      engine: { id: engineId },
      runtime: runtimeId,
      scenario,
      targets: { issuer: targets.issuer, resourceServers: [] },
      phases: phases.map((p) => (p.end === undefined ? { ...p, end: Math.max(p.start, load.durationMs) } : p)),
      load: { ...load, engine: engineId, startedAt: t0 },
      events: inOrder(events),
      faults: faultWindows,
      probes: probeResults,
      windows: recordWindows(faultWindows, warmupMs, load.durationMs, faultWindows.length < faultEntries),
      environment,
    })
    const engineOptions: LoadRunOptions = {
      signal: abort.signal,
      seed,
      runDir,
      registerSecret,
      slos: scenario.slos
        .map((s) => ({ id: s.id, objective: s.objective ?? sloCatalog[s.id]?.objective ?? '' }))
        .filter((s) => s.objective),
      onProgress: (p) => {
        if (!options.onProgress) return
        live.add(p)
        options.onProgress({
          phase: phases.at(-1)?.name ?? 'method',
          elapsedMs: p.elapsedMs,
          totalMs: p.totalMs,
          rate: p.rate,
          p95: p.p95,
          errorRate: p.errorRate,
          droppedIterations: p.droppedIterations,
          activeFaults: [...active.values()].map((a) => a.window.fault),
          slos: live.status(p.elapsedMs, partialRecord),
        })
      },
    }
    // Boot the engine (worker, flow setup) before t0 is fixed, so the first arrivals are not lost to start-up.
    const prepared = engine.prepare ? await engine.prepare(load, targets, engineOptions) : undefined
    const placeholderT0 = t0
    t0 = Date.now() + (prepared ? PREPARED_LEAD_MS : LOAD_LEAD_MS)
    // what was journaled before t0 was known (preflight, start-up events) moves onto the real time axis
    for (const p of phases) {
      p.start += placeholderT0 - t0
      if (p.end !== undefined) p.end += placeholderT0 - t0
    }
    for (const e of events) e.t += placeholderT0 - t0
    const ctx: UnitContext = {
      targets,
      scenario,
      log,
      now,
      emit,
      random,
      events: () => events,
    }
    polling = setInterval(() => {
      pollInFlight ??= pollFeeds(targets).finally(() => {
        pollInFlight = undefined
      })
    }, FEED_POLL_MS)

    // The method: faults and probes at their offsets.
    scenario.timeline.forEach((entry, index) => {
      const at = parseDuration(entry.at) ?? 0
      const timer = setTimeout(
        () => {
          if (abort.signal.aborted) return
          if (entry.fault) {
            const def = faultRegistry[entry.fault]
            if (!def) return
            const params = Value.Default(def.params, structuredClone(entry.params)) as Record<string, unknown>
            const window: FaultWindow = { index, fault: def.id, params, injectedAt: now(), status: 'active' }
            faultWindows.push(window)
            log.info({ runId, fault: def.id, index }, 'fault.injecting')
            const holdMs = parseDuration(entry.duration ?? def.defaultDuration) ?? 0
            def.inject(ctx, params, abort.signal).then(
              (fault) => {
                window.injectedAt = Math.min(window.injectedAt, now())
                if (fault.details) window.details = fault.details
                emit('fault.injected', { fault: def.id, index })
                log.info({ runId, fault: def.id, index }, 'fault.injected')
                const item: { fault: ActiveFault; window: FaultWindow; timer?: NodeJS.Timeout } = { fault, window }
                active.set(index, item)
                const remaining = Math.max(0, window.injectedAt + holdMs - now())
                item.timer = setTimeout(() => void revert(index), remaining)
              },
              (err: unknown) => {
                window.status = 'inject-failed'
                window.error = maskSecrets((err as Error).message)
                window.revertedAt = now()
                emit('fault.inject_failed', { fault: def.id, index, error: window.error })
                log.error({ runId, fault: def.id, index, err: window.error }, 'fault.inject_failed')
              },
            )
          } else if (entry.probe) {
            const def = probeRegistry[entry.probe]
            if (!def) return
            const params = Value.Default(def.params, structuredClone(entry.params)) as Record<string, unknown>
            const startedAt = now()
            emit('probe.started', { probe: def.id, index })
            probeRuns.push(
              def.run(ctx, params, abort.signal).then(
                (outcome) => {
                  probeResults.push({ ...outcome, index, probe: def.id, startedAt, endedAt: now() })
                  emit('probe.finished', { probe: def.id, index, status: outcome.status })
                },
                (err: unknown) => {
                  probeResults.push({
                    index,
                    probe: def.id,
                    name: def.summary,
                    status: 'failed',
                    value: null,
                    unit: 'count',
                    observations: [],
                    startedAt,
                    endedAt: now(),
                    error: maskSecrets((err as Error).message),
                  })
                  emit('probe.failed', { probe: def.id, index })
                },
              ),
            )
          }
        },
        Math.max(0, t0 + at - Date.now()),
      )
      timers.push(timer)
    })

    phaseStart('warmup')
    const phaseTimer = (name: PhaseName, atMs: number) =>
      timers.push(
        setTimeout(
          () => {
            if (abort.signal.aborted) return
            phaseEnd()
            phaseStart(name)
          },
          Math.max(0, t0 + atMs - Date.now()),
        ),
      )
    const faultOffsets = scenario.timeline.filter((e) => e.fault).map((e) => parseDuration(e.at) ?? 0)
    const firstFault = faultOffsets.length ? Math.min(...faultOffsets) : undefined
    phaseTimer('steady-state-before', warmupMs)
    if (firstFault !== undefined) phaseTimer('method', Math.max(firstFault, warmupMs))

    loadResult = await (prepared ? prepared.start(t0) : engine.run(load, targets, { ...engineOptions, startAt: t0 }))
    if (loadResult.aborted || abort.signal.aborted) throw new GamedayError('ERR_RUN_ABORTED', 'the run was interrupted')
  } catch (err) {
    failure = err
  } finally {
    releaseEngine?.()
    for (const t of timers) clearTimeout(t)
    await Promise.all([...active.keys()].map(revert))
    if (failure !== undefined && !abort.signal.aborted) abort.abort(failure)
    await Promise.race([Promise.allSettled(probeRuns), new Promise((r) => setTimeout(r, 5000).unref())])
    if (polling) clearInterval(polling)
    await pollInFlight
    if (stack) await pollFeeds(stack.targets).catch(() => undefined)
    if (stack && failure !== undefined && !isGamedayError(failure, 'ERR_RUN_ABORTED')) {
      const logs = await stack.logs().catch(() => ({}) as Record<string, string>)
      await mkdir(join(runDir, 'logs'), { recursive: true })
      await Promise.all(
        Object.entries(logs).map(([name, text]) => writeFile(join(runDir, 'logs', `${name}.log`), maskSecrets(text))),
      )
    }
    await stack?.stop().catch((err: unknown) => log.error({ err: (err as Error).message }, 'stack.stop_failed'))
    options.signal?.removeEventListener('abort', onOuterAbort)
  }

  const aborted = options.signal?.aborted === true || isGamedayError(failure, 'ERR_RUN_ABORTED')
  const status: RunStatus = aborted ? 'aborted' : failure !== undefined ? 'failed' : 'completed'
  const open = phases.at(-1)
  if (open && open.end === undefined) {
    const lastPhaseStatus = status === 'completed' ? 'completed' : status === 'aborted' ? 'aborted' : 'failed'
    phaseEnd(lastPhaseStatus)
  }
  // A completed method phase ends with a recovery window after the last revert.
  const load_ = loadResult ?? emptyLoad(engineId)
  const endMs = loadResult ? load_.durationMs : Math.max(0, now())
  const windows = recordWindows(faultWindows, warmupMs, endMs)
  if (status === 'completed' && windows.recovery) {
    phases.push({ name: 'recovery', start: windows.recovery[0], end: windows.recovery[1], status: 'completed' })
    phases.push({
      name: 'steady-state-after',
      start: windows.recovery[0],
      end: windows.recovery[1],
      status: 'completed',
    })
  }

  const targetsSummary = stack
    ? {
        issuer: stack.targets.issuer,
        resourceServers: stack.targets.resourceServers.map((r) => ({
          name: r.name,
          url: r.apiUrl,
          ...(r.profile ? { profile: r.profile } : {}),
          ...(r.mode ? { mode: r.mode } : {}),
        })),
      }
    : { issuer: '', resourceServers: [] }
  const record: RunRecord = {
    schemaVersion: 1,
    runId,
    scenarioId: scenario.id,
    title: scenario.title,
    status,
    deviated: false,
    startedAt: new Date(loadResult ? t0 : startedAtEpoch).toISOString(),
    endedAt: new Date().toISOString(),
    t0: loadResult ? t0 : startedAtEpoch,
    seed,
    engine: {
      id: engineId,
      ...(engineVersion ? { version: engineVersion } : load_.engineVersion ? { version: load_.engineVersion } : {}),
    },
    runtime: runtimeId,
    scenario,
    targets: targetsSummary,
    phases,
    load: load_,
    events: events.sort((a, b) => a.t - b.t),
    faults: faultWindows.sort((a, b) => a.index - b.index),
    probes: probeResults.sort((a, b) => a.index - b.index),
    windows,
    environment,
  }
  if (failure !== undefined && !aborted) {
    const e = failure as { code?: string; message?: string }
    record.error = { code: e.code ?? 'ERR_INTERNAL', message: maskSecrets(e.message ?? String(failure)) }
    log.error({ runId, errorCode: e.code, err: record.error.message }, 'run.failed')
  }

  phases.push({ name: 'score', start: now(), status: 'completed' })
  const verdict = scoreRun(record, scenario.slos, scenario.steadyState)
  record.deviated = verdict.steadyState.before?.held === false || verdict.steadyState.after?.held === false
  phases.at(-1)!.end = now()

  phases.push({ name: 'report', start: now(), status: 'completed' })
  for (const id of reporterIds) {
    try {
      const files = await reporterRegistry[id]!.render(record, verdict)
      for (const f of files)
        await writeFile(join(runDir, f.name), typeof f.content === 'string' ? maskSecrets(f.content) : f.content)
    } catch (err) {
      log.error({ runId, reporter: id, err: (err as Error).message }, 'report.failed')
    }
  }
  phases.at(-1)!.end = now()

  // A known error keeps its own exit code (k6 missing, an invalid stack: 104); anything else is internal (1).
  const failedCode = isGamedayError(failure) ? failure.exitCode : 1
  const exitCode = status === 'aborted' ? 105 : status === 'failed' ? failedCode : verdict.exitCode
  log.info({ runId, status, pass: verdict.pass, runDir }, 'run.finished')
  return { record, verdict, runDir, exitCode }
}
