/**
 * Capacity planning (`oauth-gameday capacity <scenario>`): the highest
 * arrival rate at which the scenario's SLOs still hold. Exponential steps
 * find a failing rate fast; a binary search then narrows the gap between the
 * highest passing and the lowest failing rate to `tolerance`. The whole
 * search stays inside the time budget: a step starts only when the average
 * step so far still fits.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { GamedayError } from './errors.ts'
import { percentileMs, seriesWindow } from './load/histogram.ts'
import type { RunRecord } from './record.ts'
import { renderCapacity } from './report/capacity.ts'
import { runScenario } from './runner.ts'
import { loadScenario } from './scenario/load.ts'
import { parseDuration } from './util/duration.ts'

/** What one step's evaluation reports. */
export interface CapacityEvaluation {
  pass: boolean
  /** SLO ids that broke at this rate. */
  failing?: string[]
  p95Ms?: number
  /** Requests per second actually achieved (an open-model engine that ran out of VUs falls short). */
  achievedRate?: number
}

export interface CapacityStep extends CapacityEvaluation {
  rate: number
  phase: 'exponential' | 'search'
  /** ms since the search began, when the step ended. */
  atMs: number
}

export interface CapacityOptions {
  startRate: number
  maxRate: number
  budgetMs: number
  /** Relative gap between highest pass and lowest fail at which the search stops (default 0.05). */
  tolerance?: number
  /** Clock (ms); injected in tests. */
  now?: () => number
  /** The subject of the headroom statement (default "the stack holds its SLOs"). */
  holds?: string
}

export interface CapacityResult {
  steps: CapacityStep[]
  highestPassingRate: number | null
  firstFailingRate: number | null
  /** The first SLO that broke at the lowest failing rate. */
  firstFailingSlo: string | null
  /** Highest passing rate whose p95 stays within twice the p95 at the lowest rate: where latency starts to climb. */
  kneeRate: number | null
  reachedMaxRate: boolean
  budgetExhausted: boolean
  elapsedMs: number
  /** "the token endpoint holds p95<300ms up to N req/s on this stack". */
  statement: string
}

function roundRate(r: number): number {
  return r >= 1 ? Math.round(r) : Math.round(r * 100) / 100
}

/**
 * Search the highest passing arrival rate.
 *
 * @example
 * const result = await findCapacity(async (rate) => ({ pass: rate <= 420 }), { startRate: 10, maxRate: 2000, budgetMs: 600_000 })
 * result.highestPassingRate // within 5% below 420
 */
export async function findCapacity(
  evaluate: (rate: number) => Promise<CapacityEvaluation>,
  opts: CapacityOptions,
): Promise<CapacityResult> {
  const { startRate, maxRate, budgetMs } = opts
  if (!(startRate > 0) || !(maxRate >= startRate))
    throw new GamedayError('ERR_CLI_USAGE', `capacity: need 0 < startRate <= maxRate (got ${startRate}, ${maxRate})`)
  const tolerance = opts.tolerance ?? 0.05
  const now = opts.now ?? Date.now
  const began = now()
  const steps: CapacityStep[] = []
  const elapsed = () => now() - began
  let budgetExhausted = false
  const fits = () => {
    const avg = steps.length ? elapsed() / steps.length : 0
    if (steps.length > 0 && elapsed() + avg > budgetMs) budgetExhausted = true
    return !budgetExhausted
  }
  const step = async (rate: number, phase: CapacityStep['phase']) => {
    const res = await evaluate(rate)
    const s: CapacityStep = { rate, phase, ...res, atMs: elapsed() }
    steps.push(s)
    return s
  }

  let lo: number | null = null
  let hi: CapacityStep | null = null
  let reachedMaxRate = false
  let rate = roundRate(startRate)
  while (fits()) {
    const s = await step(rate, 'exponential')
    if (!s.pass) {
      hi = s
      break
    }
    lo = rate
    if (rate >= maxRate) {
      reachedMaxRate = true
      break
    }
    rate = roundRate(Math.min(maxRate, rate * 2))
  }
  // the very first rate failed: halve until something passes (bounded)
  for (let i = 0; lo === null && hi !== null && i < 6 && fits(); i++) {
    const r = roundRate(hi.rate / 2)
    if (r <= 0 || r === hi.rate) break
    const s = await step(r, 'search')
    if (s.pass) lo = r
    else hi = s
  }
  while (lo !== null && hi !== null && (hi.rate - lo) / lo > tolerance && fits()) {
    const mid = roundRate((lo + hi.rate) / 2)
    if (mid <= lo || mid >= hi.rate) break
    const s = await step(mid, 'search')
    if (s.pass) lo = mid
    else hi = s
  }

  const passing = steps.filter((s) => s.pass).sort((a, b) => a.rate - b.rate)
  const withP95 = [...steps].filter((s) => s.p95Ms !== undefined).sort((a, b) => a.rate - b.rate)
  const baseline = withP95[0]?.p95Ms
  let kneeRate: number | null = null
  if (baseline !== undefined)
    for (const s of passing) if (s.p95Ms !== undefined && s.p95Ms <= 2 * Math.max(baseline, 1)) kneeRate = s.rate
  const firstFailingSlo = hi?.failing?.[0] ?? null
  const holds = opts.holds ?? 'the stack holds its SLOs'
  let statement: string
  if (lo === null)
    statement = `${holds} at no tested rate: it already fails at ${hi?.rate ?? startRate} req/s${firstFailingSlo ? ` (${firstFailingSlo})` : ''}`
  else {
    statement = `${holds} up to ${lo} req/s on this stack`
    if (hi) statement += `; above it ${firstFailingSlo ?? 'an SLO'} breaks (at ${hi.rate} req/s)`
    else if (reachedMaxRate) statement += ` (the highest rate tried: the limit is higher)`
    if (budgetExhausted) statement += ' — time budget exhausted before the search converged'
  }
  return {
    steps,
    highestPassingRate: lo,
    firstFailingRate: hi?.rate ?? null,
    firstFailingSlo,
    kneeRate,
    reachedMaxRate,
    budgetExhausted,
    elapsedMs: elapsed(),
    statement,
  }
}

/** p95 (ms) of the token endpoint and achieved request rate of a run record. */
export function tokenStats(record: RunRecord): { p95Ms?: number; achievedRate?: number } {
  const token = record.load.series.filter((s) => s.metric === 'oauth_token')
  const { count, histogram } = seriesWindow(token, 0, Number.POSITIVE_INFINITY)
  const out: { p95Ms?: number; achievedRate?: number } = {}
  if (count > 0) out.p95Ms = percentileMs(histogram, 95)
  if (record.load.durationMs > 0) out.achievedRate = Math.round((count / (record.load.durationMs / 1000)) * 10) / 10
  return out
}

/** Share of scheduled iterations a step must run (not drop) to count as tested. */
export const MIN_ACHIEVED = 0.8

/** Dropped iterations over scheduled ones (iterations + dropped), from the engine's counters; 0 without counters. */
export function droppedShare(record: RunRecord): number {
  const sum = (name: string) =>
    record.load.counters
      .filter((c) => c.name === name)
      .reduce((n, c) => n + c.values.reduce((a, v) => a + v.value, 0), 0)
  const dropped = sum('dropped_iterations')
  const total = sum('iterations') + dropped
  return total > 0 ? dropped / total : 0
}

export interface RunCapacityOptions {
  maxRate?: number
  /** Time budget, a duration (default `10m`). */
  budget?: string
  startRate?: number
  outDir?: string
  engine?: string
  runtime?: string
  /** Flow whose rate is stepped (default: every arrival-rate flow). */
  flow?: string
  signal?: AbortSignal
}

/**
 * Run the capacity search for a scenario and write `capacity.json` and
 * `capacity.html` to `<outDir>/<scenario-id>/capacity/`.
 *
 * @example
 * const { result, dir } = await runCapacity('scenarios/capacity.yaml', { maxRate: 800, budget: '5m' })
 * console.log(result.statement)
 */
export async function runCapacity(
  scenarioPath: string,
  opts: RunCapacityOptions = {},
): Promise<{ result: CapacityResult; dir: string }> {
  const { scenario } = await loadScenario(scenarioPath)
  const budgetMs = parseDuration(opts.budget ?? '10m')
  if (budgetMs === undefined)
    throw new GamedayError(
      'ERR_CLI_USAGE',
      `--budget: must be a duration like 10m (got ${JSON.stringify(opts.budget)})`,
    )
  const flows = scenario.load.flows.filter(
    (f) => opts.flow === undefined || f.name === opts.flow || f.flow === opts.flow,
  )
  const declared = flows.map((f) => ('rate' in f && typeof f.rate === 'number' ? f.rate : 0)).filter((r) => r > 0)
  const startRate = opts.startRate ?? Math.max(1, Math.min(...(declared.length ? declared : [10])))
  const maxRate = opts.maxRate ?? startRate * 64
  const outDir = opts.outDir ?? 'reports'
  const m2 = scenario.slos.find((s) => s.id === 'M2')
  const holds = m2
    ? `the token endpoint holds ${m2.objective ?? 'p(95)<300ms'}`
    : `the stack holds ${scenario.slos.map((s) => s.id).join(', ') || 'its SLOs'}`
  const result = await findCapacity(
    async (rate) => {
      if (opts.signal?.aborted) throw new GamedayError('ERR_RUN_ABORTED', 'capacity search aborted')
      const once = () =>
        runScenario(scenario, {
          rateOverride: { rate, ...(opts.flow ? { flow: opts.flow } : {}) },
          outDir: join(outDir, scenario.id, 'capacity', 'steps'),
          reporters: ['json'],
          source: scenarioPath,
          ...(opts.engine ? { engine: opts.engine } : {}),
          ...(opts.runtime ? { runtime: opts.runtime } : {}),
          ...(opts.signal ? { signal: opts.signal } : {}),
        })
      let outcome = await once()
      // a step without any measurement (engine not ready in time, stack hiccup) says nothing about the rate: retry it once
      if (outcome.verdict.slos.length > 0 && outcome.verdict.slos.every((s) => s.noData)) outcome = await once()
      const failing = outcome.verdict.slos.filter((s) => !s.pass).map((s) => (s.noData ? `${s.id} (no data)` : s.id))
      const stats = tokenStats(outcome.record)
      // a rate the load generator could not deliver was not tested: it cannot count as held
      const dropped = droppedShare(outcome.record)
      const delivered = dropped <= 1 - MIN_ACHIEVED
      if (!delivered) failing.push(`rate not achieved (${Math.round(dropped * 100)}% of iterations dropped)`)
      return { pass: outcome.verdict.pass && delivered, failing, ...stats }
    },
    { startRate, maxRate, budgetMs, holds },
  )
  const dir = join(outDir, scenario.id, 'capacity')
  await mkdir(dir, { recursive: true })
  for (const f of renderCapacity(result, { scenarioId: scenario.id, title: scenario.title }))
    await writeFile(join(dir, f.name), f.content)
  return { result, dir }
}
