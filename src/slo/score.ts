/**
 * Scoring: the RunRecord and the scenario's SLO list in, a Verdict out.
 *
 * Choices, stated once:
 * - With an empty `slos` list the whole catalog is scored at its defaults.
 * - "No data" (no traffic or no probe in the window, or the window does not
 *   exist, e.g. `fault` in a run without faults) fails an SLO the scenario
 *   lists explicitly — it asked for a measurement it did not get — and passes
 *   a catalog default the scenario did not ask for. Either way `noData` is set.
 * - A steady-state check (before: `windows.steadyState`; after: the
 *   `steady-state-after` phase, else `windows.recovery`) fails only on a
 *   measured breach; no data there cannot be checked and is not a failure.
 * - The `run` window starts after the `warmup` phase, when the record has one.
 * - An aborted or interrupted run never passes and exits 105.
 * - Score: share of SLOs held, weighted critical 3, major 2, minor 1.
 * - An RS-measured SLO (M3, M5, M9, S1, S2) without a `target` is also
 *   scored per RS when the stack has several; its attribution names the worst.
 */
import { GamedayError } from '../errors.ts'
import { exitCodeFor } from '../record/exit-code.ts'
import type { RunRecord } from '../record/index.ts'
import type { SloEntry, SloWindowValue } from '../scenario/schema.ts'
import { slos as catalog } from './index.ts'
import { firstBreachMs, PER_RS_SLOS, perRsAttribution, scorePerRs } from './per-rs.ts'
import { budgetConsumed, evaluate, margin, parseThreshold } from './threshold.ts'
import type { SloScore, Verdict } from './types.ts'

const WEIGHT = { critical: 3, major: 2, minor: 1 } as const

/** End of the record's time axis (ms since t0): the load's duration, cut short on abort. */
export function runEndMs(record: RunRecord): number {
  return Math.max(0, record.load.durationMs)
}

/** The `[from, to)` window (ms since t0) for a window name, clipped to the run; null when the run has no such window. */
export function resolveWindow(record: RunRecord, window: SloWindowValue): [number, number] | null {
  const end = runEndMs(record)
  if (window === 'run') {
    // probes may finish a little after the load; they belong to the run
    const probeEnd = record.probes.reduce((m, p) => Math.max(m, p.endedAt + 1), 0)
    // the warm-up is excluded from SLO windows (scenario `load.warmup`)
    const warm = record.phases.find((p) => p.name === 'warmup' && p.end !== undefined)
    const from = warm ? Math.min(Math.max(0, warm.end!), end) : 0
    return [from, Math.max(end, probeEnd)]
  }
  const w =
    window === 'steady-state'
      ? record.windows.steadyState
      : window === 'fault'
        ? record.windows.fault
        : record.windows.recovery
  if (!w) return null
  const from = Math.max(0, w[0])
  const to = Math.min(end, w[1])
  return [from, Math.max(from, to)]
}

function definition(id: string) {
  const def = catalog[id]
  if (!def)
    throw new GamedayError('ERR_UNKNOWN_UNIT', `slo ${JSON.stringify(id)}: not in the catalog`, {
      hint: `known SLOs: ${Object.keys(catalog).join(', ')}`,
    })
  return def
}

/**
 * Score one SLO over an explicit window.
 *
 * @example scoreSlo(record, { id: 'M2', objective: 'p(99)<1s' }, true)
 */
export function scoreSlo(
  record: RunRecord,
  entry: SloEntry,
  explicit: boolean,
  windowOverride?: { name: SloWindowValue; ms: [number, number] | null },
): SloScore {
  const def = definition(entry.id)
  const objective = entry.objective ?? def.objective
  const threshold = parseThreshold(objective)
  const windowName = windowOverride?.name ?? entry.window ?? def.window
  const windowMs = windowOverride ? windowOverride.ms : resolveWindow(record, windowName)
  const severity = (entry.severity ?? def.severity) as SloScore['severity']
  const base = {
    id: def.id,
    title: def.title,
    objective,
    window: windowName,
    windowMs: windowMs ?? ([0, 0] as [number, number]),
    severity,
  }
  const target = entry.target
  const withTarget = (s: SloScore): SloScore => (target === undefined ? s : { ...s, target })
  const value = windowMs ? def.indicator(record, windowMs, target, threshold, entry) : { value: null }
  if (value.value === null || !windowMs) {
    return withTarget({ ...base, measured: null, pass: !explicit, margin: null, budgetConsumed: null, noData: true })
  }
  const measured = value.value
  const pass = evaluate(threshold, measured) && value.forceFail === undefined
  const score: SloScore = {
    ...base,
    measured,
    pass,
    margin: margin(threshold, measured),
    budgetConsumed: budgetConsumed(threshold, measured),
    noData: false,
  }
  // per RS when the entry names none and the record has RSs to tell apart
  if (target === undefined && PER_RS_SLOS.has(def.id) && record.targets.resourceServers.length > 1)
    score.perRs = scorePerRs(record, def, threshold, windowMs)
  if (!pass) {
    const why = def.attribute?.(record, windowMs, value) ?? value.forceFail
    const line = score.perRs ? perRsAttribution(def.id, threshold, score.perRs, why) : why
    if (line) score.attribution = line
    const at = firstBreachMs(record, def, threshold, windowMs, target)
    if (at !== undefined) score.firstBrokeAt = at
  }
  return withTarget(score)
}

function steadyCheck(
  record: RunRecord,
  ids: readonly string[],
  listed: readonly SloEntry[],
  window: [number, number] | null | undefined,
): { held: boolean; failed: string[] } | null {
  if (ids.length === 0 || !window) return null
  const failed: string[] = []
  for (const id of ids) {
    const entry = listed.find((e) => e.id === id) ?? ({ id } as SloEntry)
    const s = scoreSlo(record, entry, false, { name: 'steady-state', ms: window })
    if (!s.noData && !s.pass) failed.push(id)
  }
  return { held: failed.length === 0, failed }
}

/**
 * Score a run against the scenario's SLOs and steady-state hypothesis.
 *
 * @example
 * const verdict = scoreRun(record, scenario.slos, scenario.steadyState)
 * process.exitCode = verdict.exitCode
 * @throws GamedayError ERR_SCENARIO_INVALID on a bad objective, ERR_UNKNOWN_UNIT on an unknown id
 */
export function scoreRun(record: RunRecord, slos: readonly SloEntry[], steadyState: readonly string[]): Verdict {
  const explicit = slos.length > 0
  const entries: SloEntry[] = explicit ? [...slos] : Object.keys(catalog).map((id) => ({ id }) as SloEntry)
  const scores = entries.map((e) => scoreSlo(record, e, explicit))

  const before = steadyCheck(
    record,
    steadyState,
    slos,
    record.windows.steadyState ? resolveWindow(record, 'steady-state') : null,
  )
  const afterPhase = record.phases.find((p) => p.name === 'steady-state-after' && p.end !== undefined)
  const afterWindow: [number, number] | null = afterPhase
    ? [afterPhase.start, afterPhase.end!]
    : resolveWindow(record, 'recovery')
  const after = steadyCheck(record, steadyState, slos, afterWindow)

  let total = 0
  let held = 0
  for (const s of scores) {
    total += WEIGHT[s.severity]
    if (s.pass) held += WEIGHT[s.severity]
  }
  // only a run that went to the end can pass
  const pass =
    record.status === 'completed' && scores.every((s) => s.pass) && (before?.held ?? true) && (after?.held ?? true)
  return {
    pass,
    score: total === 0 ? 1 : held / total,
    slos: scores,
    steadyState: { before, after },
    exitCode: exitCodeFor({ status: record.status, abortedBy: record.abortedBy, error: record.error, pass }),
  }
}
