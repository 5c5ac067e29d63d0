/**
 * One game day, from Scenario to Verdict, in Chaos Toolkit's phases (the
 * table in phases.ts): preflight → warm-up → steady state → method (the
 * timeline: faults and probes) → recovery → steady state → score → reports.
 *
 * This file composes the parts: the journal (journal.ts) records, the
 * scheduler and the active faults (timeline.ts) drive the method, the one
 * record builder (toRecord) makes the live and the final record, the SLOs
 * score it and the reporters render it (report/render.ts), written through
 * one masking writer. Every fault is reverted on success, error, abort and
 * signal; every component is stopped; the reports are written whatever
 * happened. A run ends early only through `endEarly` (a component that died,
 * the steady-state gate).
 */
import { randomBytes } from 'node:crypto'
import { mkdir, rm, rmdir, writeFile } from 'node:fs/promises'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { GamedayError, isGamedayError } from '../errors.ts'
import { faults as faultRegistry } from '../faults/index.ts'
import type { UnitContext } from '../faults/types.ts'
import { engines } from '../load/index.ts'
import type { LoadEngineDefinition, LoadRunOptions } from '../load/types.ts'
import { createLogger, type Logger } from '../log.ts'
import { preflightCheck } from '../preflight.ts'
import { probes as probeRegistry } from '../probes/index.ts'
import type { MetricsStream, OutputSpec } from '../outputs/stream.ts'
import type { GameDayPrometheus } from '../prometheus/game-day.ts'
import type { AbortedBy, LoadResult, PrometheusSection, RunRecord, RunStatus } from '../record/index.ts'
import { reporters as reporterRegistry } from '../report/index.ts'
import { renderReports, writeReportFiles } from '../report/render.ts'
import { runtimes } from '../runtime/index.ts'
import type { RuntimeDefinition, StartedStack, Targets } from '../runtime/types.ts'
import type { LoadConfig, Scenario, TimelineEntry } from '../scenario/schema.ts'
import { slos as sloCatalog } from '../slo/index.ts'
import { type LiveSloStatus, LiveSlos } from '../slo/live.ts'
import { abortingSlo } from '../slo/abort.ts'
import { scoreRun } from '../slo/score.ts'
import type { Verdict } from '../slo/types.ts'
import { parseDuration } from '../util/duration.ts'
import { PACKAGE_VERSION } from '../util/package-root.ts'
import { deriveSeed, seededRandom } from '../util/random.ts'
import { maskSecrets, registerSecret } from '../util/secrets.ts'
import { Journal, type RecordFacts, toRecord } from './journal.ts'
import { phaseStarts } from './phases.ts'
import { ActiveFaults, type Clock, Scheduler, scheduleTimeline, systemClock } from './timeline.ts'
import { excusedBy, type Lost, startWatchdog, WATCHDOG_FAILURES, watchList } from './watchdog.ts'

export { recordWindows } from './journal.ts'

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
  /** Probes of the timeline: those running now, and how many are done of how many. */
  probes?: { running: string[]; done: number; total: number }
}

export interface RunOptions {
  /** `embedded` (default) or `k6`, or an engine definition (tests drive the runner with a fake one). */
  engine?: string | LoadEngineDefinition
  /** `process` (default) or `containers`, or a runtime definition (a fake one in tests). */
  runtime?: string | RuntimeDefinition
  /** Reports root; the run goes to `<outDir>/<scenario-id>/<run-id>/`. Default `reports`. */
  outDir?: string
  /** Reporter ids; default: every registered reporter. */
  reporters?: string[]
  seed?: number
  signal?: AbortSignal
  log?: Logger
  onProgress?(p: RunProgress): void
  /** A failure the run survives (a fault that did not inject or revert, a probe that failed): code, message naming it, hint. */
  onError?(error: GamedayError): void
  /** Replace the arrival rate of flows (all arrival-rate flows, or the one named) — capacity planning. */
  rateOverride?: { flow?: string; rate: number }
  /** Path the scenario was loaded from (for messages). */
  source?: string
  /** Wall clock and timers (tests pass a fake one); default the system clock. */
  clock?: Clock
  /** Run a real Prometheus beside the stack with the in-run SLO alerts, and record time to detect (`run --prometheus`). */
  prometheus?: boolean
  /** Stream the engine's metrics while the run goes on (`run --out-metrics json=FILE`, `prometheus-rw=URL`). */
  metricsOutputs?: readonly OutputSpec[]
}

export interface RunOutcome {
  record: RunRecord
  verdict: Verdict
  /** Folder the reports were written to. */
  runDir: string
  /** The record's exit code (src/record/exit-code.ts): 0, 99, 103, 104, 105, 108, or 1 for a bug. */
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

/** Whether a timeline entry's fault or probe needs control of the running load (an engine option, checked at start). */
function needsLoadControl(e: TimelineEntry): boolean {
  const unit = e.fault ? faultRegistry[e.fault] : e.probe ? probeRegistry[e.probe] : undefined
  return unit?.needs((e.params ?? {}) as never).includes('load-control') ?? false
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

function emptyLoad(engine: string, startedAt: number): LoadResult {
  return {
    engine,
    startedAt,
    durationMs: 0,
    latencyBasis: 'intended-start',
    series: [],
    counters: [],
    aborted: true,
    warnings: [],
  }
}

/**
 * A component or target the watchdog lost: its event in the journal
 * (`component.unresponsive` or `target.unreachable`) and the error that ends
 * the run.
 */
function lostError(lost: Lost, journal: Journal, log: Logger, runId: string): GamedayError {
  const error = maskSecrets(lost.error.message)
  if (lost.kind === 'component') {
    journal.emit(
      'runner',
      'component.unresponsive',
      { component: lost.component, url: lost.url, error, at: lost.at },
      lost.at,
    )
    log.error({ runId, component: lost.component, url: lost.url, err: error }, 'component.unresponsive')
    return new GamedayError(
      'ERR_COMPONENT_UNRESPONSIVE',
      `component ${lost.component} stopped answering its health route ${lost.url} during the run (${WATCHDOG_FAILURES} checks in a row failed; last: ${error})`,
      {
        hint: `the harness's own ${lost.component} hung, not the system under test; read logs/${lost.component}.log in the run folder`,
      },
    )
  }
  journal.emit('runner', 'target.unreachable', { target: lost.what, url: lost.url, error, at: lost.at }, lost.at)
  log.error({ runId, target: lost.what, url: lost.url, err: error }, 'target.unreachable')
  // an ERR_TARGET_UNREACHABLE names the target and says why in its message, and has its hint
  const unreachable = isGamedayError(lost.error, 'ERR_TARGET_UNREACHABLE') ? lost.error : undefined
  return new GamedayError(
    'ERR_TARGET_LOST',
    unreachable
      ? `${error}; it answered at preflight and was lost during the run (${WATCHDOG_FAILURES} checks in a row failed)`
      : `${lost.what} at ${lost.url} stopped answering during the run (${WATCHDOG_FAILURES} checks in a row failed; last: ${error})`,
    { hint: unreachable?.hint ?? `is ${lost.what} still running? check its URL in the scenario's stack` },
  )
}

/** Why a run ended before its load did, on purpose. */
type EarlyEnd = { status: 'errored'; error: GamedayError } | { status: 'aborted'; abortedBy: AbortedBy; detail: string }

/**
 * Run one scenario. Always writes its reports, even when interrupted.
 *
 * @example
 * ```ts
 * const { scenario } = await loadScenario('scenarios/baseline.yaml')
 * const { verdict, runDir } = await runScenario(scenario, { outDir: 'reports' })
 * ```
 */
export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<RunOutcome> {
  const log = options.log ?? createLogger({ name: 'runner' })
  const clock = options.clock ?? systemClock
  const engine = typeof options.engine === 'object' ? options.engine : engines[options.engine ?? 'embedded']
  if (!engine) throw unitError('engine', String(options.engine))
  const engineId = engine.id
  const runtime = typeof options.runtime === 'object' ? options.runtime : runtimes[options.runtime ?? 'process']
  if (!runtime) throw unitError('runtime', String(options.runtime))
  const runtimeId = runtime.id
  const reporterIds = options.reporters ?? Object.keys(reporterRegistry)
  for (const id of reporterIds) if (!reporterRegistry[id]) throw unitError('reporter', id)
  const needsPrometheus = scenario.slos.findIndex((s) => sloCatalog[s.id]?.feeders.runOptions?.includes('prometheus'))
  if (needsPrometheus >= 0 && !options.prometheus) {
    const id = scenario.slos[needsPrometheus]!.id
    throw new GamedayError(
      'ERR_SCENARIO_INVALID',
      `${options.source ?? scenario.id}: slos[${needsPrometheus}]: ${id} is fed only by run --prometheus, which this run does not have`,
      {
        hint: `run with --prometheus (needs prometheus on PATH or PROMETHEUS_BIN), or drop ${id}`,
      },
    )
  }
  const controlled = engine.loadControl ? -1 : scenario.timeline.findIndex((e) => needsLoadControl(e))
  if (controlled >= 0) {
    const e = scenario.timeline[controlled]!
    throw new GamedayError(
      'ERR_CAPABILITY_MISSING',
      `${options.source ?? scenario.id}: timeline[${controlled}]: ${e.fault ?? e.probe} needs control of the running load, which the ${engineId} engine does not offer`,
      { hint: 'run with the embedded engine (the default), or drop this entry' },
    )
  }
  const promModule = options.prometheus ? await import('../prometheus/game-day.ts') : undefined
  promModule?.checkPrometheusAvailable()

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

  const journal = new Journal(clock)
  const now = () => journal.sinceT0()
  const emit = (type: string, data?: Record<string, unknown>) => journal.emit('runner', type, data)
  const phaseStart = (name: Parameters<Journal['phaseStart']>[0]) => {
    journal.phaseStart(name)
    log.info({ runId, phase: name }, 'phase.started')
  }
  const scheduler = new Scheduler(clock)
  const active = new ActiveFaults({
    clock,
    timeoutMs: REVERT_TIMEOUT_MS,
    sinceT0: now,
    onReverted: (w) => {
      if (w.status === 'reverted') log.info({ runId, fault: w.fault, index: w.index }, 'fault.reverted')
      else {
        log.error({ runId, fault: w.fault, index: w.index, err: w.error }, 'fault.revert_failed')
        options.onError?.(
          new GamedayError(
            'ERR_FAULT_REVERT_FAILED',
            `fault ${w.fault} (timeline[${w.index}]) did not revert: ${w.error}`,
          ),
        )
      }
      emit('fault.reverted', { fault: w.fault, index: w.index, status: w.status })
    },
  })

  /**
   * The one early-end mechanism (a component that died, the steady-state
   * gate; later an SLO's abortOnFail). The first reason wins; a signal is not
   * one (the run is then interrupted).
   */
  let earlyEnd: EarlyEnd | undefined
  const endEarly = (why: EarlyEnd) => {
    if (earlyEnd || abort.signal.aborted) return
    earlyEnd = why
    log.warn(
      {
        runId,
        status: why.status,
        ...(why.status === 'errored'
          ? { errorCode: why.error.code, err: why.error.message }
          : { abortedBy: why.abortedBy, detail: why.detail }),
      },
      'run.ending_early',
    )
    abort.abort(why.status === 'errored' ? why.error : new GamedayError('ERR_RUN_ABORTED', why.detail))
  }

  let unwatch: (() => void) | undefined
  let stopWatchdog: (() => Promise<void>) | undefined
  let probeRuns: Array<Promise<void>> = []
  let stack: StartedStack | undefined
  let loadResult: LoadResult | undefined
  let failure: unknown
  let engineVersion: string | undefined
  let releaseEngine: (() => void) | undefined
  let prom: GameDayPrometheus | undefined
  let prometheusSection: PrometheusSection | undefined
  let metricsStream: MetricsStream | undefined

  const environment: RunRecord['environment'] = {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpus().length,
    harnessVersion: PACKAGE_VERSION,
  }
  const facts = (): RecordFacts => ({
    runId,
    scenario,
    seed,
    engine: {
      id: engineId,
      ...(engineVersion
        ? { version: engineVersion }
        : loadResult?.engineVersion
          ? { version: loadResult.engineVersion }
          : {}),
    },
    runtime: runtimeId,
    targets: stack
      ? {
          issuer: stack.targets.issuer,
          resourceServers: stack.targets.resourceServers.map((r) => ({
            name: r.name,
            url: r.apiUrl,
            ...(r.profile ? { profile: r.profile } : {}),
            ...(r.mode ? { mode: r.mode } : {}),
          })),
        }
      : { issuer: '', resourceServers: [] },
    environment,
    warmupMs,
  })

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
            journal.emit(feed.source, e.type, e.data, e.time)
            cursors.set(feed.source, Math.max(cursors.get(feed.source) ?? 0, e.seq))
          }
        } catch (err) {
          log.debug({ source: feed.source, err: (err as Error).message }, 'feed.poll_failed')
        }
      }),
    )
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
    // crash detection: a component the harness started that exits is an event of the run and ends it as errored
    unwatch = stack.watch?.((exit) => {
      const how = exit.signal ? `on ${exit.signal}` : `with code ${exit.code}`
      const data = {
        component: exit.component,
        ...(exit.pid !== undefined ? { pid: exit.pid } : {}),
        ...(exit.containerId ? { containerId: exit.containerId } : {}),
        code: exit.code,
        signal: exit.signal,
      }
      journal.emit('runner', 'component.exited', data, exit.time)
      log.error(
        {
          runId,
          component: exit.component,
          pid: exit.pid,
          containerId: exit.containerId,
          exitStatus: exit.code,
          signal: exit.signal,
        },
        'component.exited',
      )
      endEarly({
        status: 'errored',
        error: new GamedayError(
          'ERR_COMPONENT_EXITED',
          `component ${exit.component}${exit.pid !== undefined ? ` (pid ${exit.pid})` : exit.containerId ? ` (container ${exit.containerId.slice(0, 12)})` : ''} exited ${how} during the run`,
          {
            hint: `the harness's own ${exit.component} died, not the system under test; read logs/${exit.component}.log in the run folder`,
          },
        ),
      })
    })
    const targets = stack.targets
    await preflightCheck(targets, abort.signal)
    // the health watchdog: a component that stops answering, or an external target lost, errors the run
    const watched = watchList(scenario.stack, stack)
    if (watched.length > 0) {
      stopWatchdog = startWatchdog({
        watched,
        sinceT0: now,
        excused: excusedBy(journal.faults, targets),
        onLost: (lost) => endEarly({ status: 'errored', error: lostError(lost, journal, log, runId) }),
      })
    }
    if (promModule) {
      prom = await promModule.startGameDayPrometheus({
        scenario,
        targets,
        loadSeconds: durationMs / 1000,
        log,
        signal: abort.signal,
      })
      // Prometheus is a harness component: its death errors the run
      void prom.died.then((error) => endEarly({ status: 'errored', error }))
    }
    if (options.metricsOutputs?.length) {
      const { MetricsStream } = await import('../outputs/stream.ts')
      metricsStream = await MetricsStream.start(options.metricsOutputs, {
        runId,
        scenario: scenario.id,
        log,
        emit: (type, data) => emit(type, data),
      })
    }
    journal.phaseEnd()

    // SLO status so far: the journal and the load as the engine streams it, scored every ~2 s
    const live = new LiveSlos(scenario.slos)
    const faultEntries = scenario.timeline.filter((e) => e.fault).length
    const partialRecord = (soFar: LoadResult): RunRecord =>
      toRecord(journal, facts(), soFar, { partial: true, faultsPending: journal.faults.length < faultEntries })
    const gated = scenario.steadyStateGate === 'abort' && scenario.steadyState.length > 0
    let gateChecked = false
    /** The steady-state gate: just before the first fault, the hypothesis must hold on the load so far, or nothing is injected. */
    const gate = (): boolean => {
      if (!gated || gateChecked) return !abort.signal.aborted
      gateChecked = true
      const at = now()
      const record = partialRecord(live.load.result({ engine: 'live', startedAt: 0, durationMs: Math.max(0, at) }))
      record.windows = { steadyState: [warmupMs, Math.max(warmupMs, at)] }
      const before = scoreRun(record, scenario.slos, scenario.steadyState).steadyState.before
      const held = before?.held ?? true
      emit('steady_state.checked', { held, failed: before?.failed ?? [], gate: 'abort' })
      if (held) return true
      const detail = `the steady state did not hold before the first fault (${before!.failed.join(', ')}); no fault was injected`
      journal.phaseEnd('failed', detail)
      endEarly({ status: 'aborted', abortedBy: 'steady-state', detail })
      return false
    }
    // abort conditions (abortOnFail) read the live SLO status on every progress tick, shown or not
    const aborting = scenario.slos.some((s) => s.abortOnFail)
    const scoreLive = gated || aborting
    const probeEntries = scenario.timeline
      .map((e, index) => ({ id: e.probe, index, atMs: parseDuration(e.at) ?? 0 }))
      .filter((p): p is { id: string; index: number; atMs: number } => p.id !== undefined)
    const livePhase = (): string => {
      const phase = journal.currentPhase() ?? 'method'
      // after the last revert the method's measurements are recovery (the phase is recorded as such at the end)
      const faults = journal.faults
      if (
        phase === 'method' &&
        faultEntries > 0 &&
        faults.length === faultEntries &&
        faults.every((f) => f.revertedAt !== undefined)
      )
        return 'recovery'
      return phase
    }
    const engineOptions: LoadRunOptions = {
      signal: abort.signal,
      seed,
      runDir,
      registerSecret,
      slos: scenario.slos
        .map((s) => ({ id: s.id, objective: s.objective ?? sloCatalog[s.id]?.objective ?? '' }))
        .filter((s) => s.objective),
      onProgress: (p) => {
        metricsStream?.add(p)
        if (scoreLive) live.add(p)
        if (aborting) {
          const breach = abortingSlo(scenario.slos, live.status(p.elapsedMs, partialRecord), p.elapsedMs)
          if (breach) {
            const detail = `${breach.label} broke at ${Math.round(p.elapsedMs / 1000)}s and has abortOnFail`
            emit('slo.abort', { slo: breach.id, label: breach.label })
            endEarly({ status: 'aborted', abortedBy: 'slo', detail })
          }
        }
        if (!options.onProgress) return
        if (!scoreLive) live.add(p)
        const done = new Set(journal.probes.map((r) => r.index))
        options.onProgress({
          phase: livePhase(),
          elapsedMs: p.elapsedMs,
          totalMs: p.totalMs,
          rate: p.rate,
          p95: p.p95,
          errorRate: p.errorRate,
          droppedIterations: p.droppedIterations,
          activeFaults: active.ids(),
          slos: live.status(p.elapsedMs, partialRecord),
          probes: {
            running: probeEntries.filter((e) => !done.has(e.index) && e.atMs <= p.elapsedMs).map((e) => e.id),
            done: done.size,
            total: probeEntries.length,
          },
        })
      },
    }
    // Boot the engine (worker, flow setup) before t0 is fixed, so the first arrivals are not lost to start-up.
    const prepared = engine.prepare ? await engine.prepare(load, targets, engineOptions) : undefined
    const t0 = clock.now() + (prepared ? PREPARED_LEAD_MS : LOAD_LEAD_MS)
    journal.fixT0(t0)
    prom?.watch(t0, (a) => {
      journal.emit(
        'prometheus',
        `alert.${a.state}`,
        { alertname: a.alertname, state: a.state, labels: a.labels, at: a.at },
        t0 + a.at,
      )
      log.info({ runId, alert: a.alertname, state: a.state }, `alert.${a.state}`)
    })
    const ctx: UnitContext = {
      targets,
      scenario,
      log,
      now,
      emit,
      random,
      events: () => journal.events(),
      ...(prepared?.control ? { load: prepared.control } : {}),
    }
    polling = setInterval(() => {
      pollInFlight ??= pollFeeds(targets).finally(() => {
        pollInFlight = undefined
      })
    }, FEED_POLL_MS)

    // The method: faults and probes at their offsets, phases at theirs, on one scheduler.
    probeRuns = scheduleTimeline({
      entries: scenario.timeline,
      t0,
      scheduler,
      active,
      ctx,
      signal: abort.signal,
      log,
      runId,
      faults: journal.faults,
      probes: journal.probes,
      gate,
      ...(options.onError ? { onError: options.onError } : {}),
    })
    phaseStart('warmup')
    const faultOffsets = scenario.timeline.filter((e) => e.fault).map((e) => parseDuration(e.at) ?? 0)
    for (const { name, at } of phaseStarts(warmupMs, faultOffsets.length ? Math.min(...faultOffsets) : undefined)) {
      scheduler.at(t0 + at, () => {
        if (abort.signal.aborted) return
        // the method begins with the gate, whichever of this and the first injection runs first (same instant, two timers)
        if (name === 'method' && !gate()) return
        journal.phaseEnd()
        phaseStart(name)
      })
    }

    loadResult = await (prepared ? prepared.start(t0) : engine.run(load, targets, { ...engineOptions, startAt: t0 }))
    if (loadResult.aborted || abort.signal.aborted) throw new GamedayError('ERR_RUN_ABORTED', 'the run was interrupted')
  } catch (err) {
    failure = err
  } finally {
    releaseEngine?.()
    unwatch?.()
    await stopWatchdog?.()
    scheduler.cancelAll()
    await active.revertAll()
    if (failure !== undefined && !abort.signal.aborted) abort.abort(failure)
    await Promise.race([Promise.allSettled(probeRuns), new Promise((r) => setTimeout(r, 5000).unref())])
    // the last points of every metrics output, also when the run was interrupted or errored
    await metricsStream?.finish(loadResult)
    if (polling) clearInterval(polling)
    await pollInFlight
    if (stack) await pollFeeds(stack.targets).catch(() => undefined)
    if (prom) {
      prometheusSection = await prom
        .finish(journal.faults, loadResult?.durationMs ?? Math.max(0, now()))
        .catch((err: unknown) => {
          log.error({ err: (err as Error).message }, 'prometheus.stop_failed')
          return undefined
        })
    }
    if (
      stack &&
      (earlyEnd?.status === 'errored' ||
        (failure !== undefined && !earlyEnd && !isGamedayError(failure, 'ERR_RUN_ABORTED')))
    ) {
      const logs = await stack.logs().catch(() => ({}) as Record<string, string>)
      await mkdir(join(runDir, 'logs'), { recursive: true })
      await Promise.all(
        Object.entries(logs).map(([name, text]) => writeFile(join(runDir, 'logs', `${name}.log`), maskSecrets(text))),
      )
    }
    await stack?.stop().catch((err: unknown) => log.error({ err: (err as Error).message }, 'stack.stop_failed'))
    options.signal?.removeEventListener('abort', onOuterAbort)
  }

  const interrupted = options.signal?.aborted === true || (!earlyEnd && isGamedayError(failure, 'ERR_RUN_ABORTED'))
  const status: RunStatus = interrupted
    ? 'interrupted'
    : earlyEnd
      ? earlyEnd.status
      : failure !== undefined
        ? 'errored'
        : 'completed'
  // what errored: the early end's own error (a component that died), else what was thrown
  const errorOfRun = earlyEnd?.status === 'errored' ? earlyEnd.error : status === 'errored' ? failure : undefined
  journal.phaseEnd(
    status === 'completed' ? 'completed' : status === 'errored' ? 'failed' : 'aborted',
    earlyEnd ? (earlyEnd.status === 'errored' ? earlyEnd.error.message : earlyEnd.detail) : undefined,
  )
  const error =
    errorOfRun === undefined
      ? undefined
      : {
          code: isGamedayError(errorOfRun) ? errorOfRun.code : 'ERR_INTERNAL',
          message: maskSecrets((errorOfRun as { message?: string }).message ?? String(errorOfRun)),
          ...(isGamedayError(errorOfRun) ? { hint: maskSecrets(errorOfRun.hint) } : {}),
        }
  // refused: the plan could not run (a target nothing answers for, a missing tool, an incompatible RS) before any load.
  // No run folder is left (a nightly "newest run.json" must not pick it up); the error is the caller's, exit 104.
  if (status === 'errored' && loadResult === undefined && isGamedayError(errorOfRun) && errorOfRun.exitCode === 104) {
    log.warn({ runId, errorCode: errorOfRun.code }, 'run.refused')
    await rm(runDir, { recursive: true, force: true })
    await rmdir(dirname(runDir)).catch(() => undefined) // the scenario's folder too, when this was its only run
    throw errorOfRun
  }
  if (error) log.error({ runId, errorCode: error.code, err: error.message }, 'run.errored')
  const abortedBy = earlyEnd?.status === 'aborted' ? earlyEnd.abortedBy : undefined
  const record = toRecord(journal, facts(), loadResult ?? emptyLoad(engineId, journal.t0), {
    partial: false,
    ...(loadResult ? {} : { endMs: Math.max(0, now()) }),
    status,
    ...(abortedBy ? { abortedBy } : {}),
    ...(error ? { error } : {}),
    exitCode: 0, // from the verdict, below
    endedAt: clock.now(),
  })
  if (prometheusSection) record.prometheus = prometheusSection

  record.phases.push({ name: 'score', start: now(), status: 'completed' })
  const verdict = scoreRun(record, scenario.slos, scenario.steadyState)
  // scoring fills the exit code from the record's outcome (src/record/exit-code.ts); the record carries the same
  record.exitCode = verdict.exitCode
  record.deviated =
    abortedBy === 'steady-state'
      ? true
      : verdict.steadyState.before?.held === false || verdict.steadyState.after?.held === false
  record.phases.at(-1)!.end = now()

  record.phases.push({ name: 'report', start: now(), status: 'completed' })
  for (const id of reporterIds) {
    try {
      await writeReportFiles(runDir, await renderReports(record, verdict, [id]))
    } catch (err) {
      log.error({ runId, reporter: id, err: (err as Error).message }, 'report.failed')
    }
  }
  record.phases.at(-1)!.end = now()

  log.info({ runId, status, pass: verdict.pass, exitCode: record.exitCode, runDir }, 'run.finished')
  return { record, verdict, runDir, exitCode: record.exitCode }
}
