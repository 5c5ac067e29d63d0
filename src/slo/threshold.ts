/**
 * Objectives in k6 threshold syntax (`rate<0.001`, `p(95)<300ms`, `max<10s`,
 * `count==0`, `detected`), parsed once and evaluated against an indicator.
 * Durations carry a unit (`300ms`, `1s`); a bare number on a latency
 * aggregate means milliseconds, as in k6.
 */
import { GamedayError } from '../errors.ts'
import { parseDuration } from '../util/duration.ts'

/** The aggregate a threshold reads. `detected` is a boolean indicator (1 = held). */
export type Aggregate = 'rate' | 'p' | 'max' | 'min' | 'avg' | 'med' | 'count' | 'value' | 'detected'
export type Operator = '<' | '<=' | '>' | '>=' | '==' | '!='

/** A parsed threshold. `target` is in ms for latency aggregates. */
export interface Threshold {
  source: string
  aggregate: Aggregate
  /** Percentile for `p(N)`. */
  percentile?: number
  op: Operator
  target: number
}

const EXPR = /^\s*(rate|max|min|avg|med|count|value|p\((\d+(?:\.\d+)?)\))\s*(<=|>=|==|!=|<|>)\s*([0-9.]+[a-z0-9.]*)\s*$/
const LATENCY: ReadonlySet<Aggregate> = new Set(['p', 'max', 'min', 'avg', 'med'])

function invalid(source: string, why: string): GamedayError {
  return new GamedayError('ERR_SCENARIO_INVALID', `objective ${JSON.stringify(source)}: ${why}`, {
    hint: 'use k6 threshold syntax: rate<0.001, rate>=0.999, p(95)<300ms, max<10s, count==0, detected',
  })
}

/**
 * Parse an objective in k6 threshold syntax.
 *
 * @example parseThreshold('p(95)<300ms') // { aggregate: 'p', percentile: 95, op: '<', target: 300 }
 * @throws GamedayError ERR_SCENARIO_INVALID naming the expression
 */
export function parseThreshold(source: string): Threshold {
  if (typeof source !== 'string') throw invalid(String(source), 'must be a string')
  const trimmed = source.trim()
  if (trimmed === 'detected') return { source, aggregate: 'detected', op: '==', target: 1 }
  const m = EXPR.exec(trimmed)
  if (!m) throw invalid(source, 'not a threshold expression')
  const head = m[1]!
  const aggregate = (head.startsWith('p(') ? 'p' : head) as Aggregate
  const op = m[3] as Operator
  const raw = m[4]!
  let target: number
  if (/^[0-9.]+$/.test(raw)) {
    target = Number(raw)
  } else {
    if (!LATENCY.has(aggregate))
      throw invalid(source, `a unit is allowed only on latency aggregates (got ${JSON.stringify(raw)})`)
    const ms = parseDuration(raw)
    if (ms === undefined) throw invalid(source, `bad duration (got ${JSON.stringify(raw)})`)
    target = ms
  }
  if (!Number.isFinite(target)) throw invalid(source, `bad number (got ${JSON.stringify(raw)})`)
  const t: Threshold = { source, aggregate, op, target }
  if (aggregate === 'p') {
    const p = Number(m[2])
    if (!(p > 0 && p <= 100)) throw invalid(source, `percentile must be in (0, 100] (got ${m[2]})`)
    t.percentile = p
  }
  if (aggregate === 'rate' && (target < 0 || target > 1))
    throw invalid(source, `a rate is between 0 and 1 (got ${raw})`)
  return t
}

/** True when the threshold's aggregate is a latency (ms). */
export function isLatency(t: Threshold): boolean {
  return LATENCY.has(t.aggregate)
}

/** Whether `value` satisfies the threshold. */
export function evaluate(t: Threshold, value: number): boolean {
  switch (t.op) {
    case '<':
      return value < t.target
    case '<=':
      return value <= t.target
    case '>':
      return value > t.target
    case '>=':
      return value >= t.target
    case '==':
      return value === t.target
    case '!=':
      return value !== t.target
  }
}

/** Distance to the objective in its unit, positive when inside (`==` gives minus the distance). */
export function margin(t: Threshold, value: number): number {
  switch (t.op) {
    case '<':
    case '<=':
      return t.target - value
    case '>':
    case '>=':
      return value - t.target
    case '==':
      return -Math.abs(value - t.target)
    case '!=':
      return Math.abs(value - t.target)
  }
}

/** True when a smaller measured value is better for this threshold. */
export function lowerIsBetter(t: Threshold): boolean {
  if (t.op === '<' || t.op === '<=') return true
  if (t.op === '>' || t.op === '>=') return false
  // `count==0`, `value==0`: smaller is closer; `detected`: larger is better
  return t.aggregate !== 'detected' && t.target <= 0
}

/**
 * Share of the error budget consumed, for rate objectives: observed bad share
 * over allowed bad share. `rate<0.001` allows 0.1 % bad; `rate>=0.999` allows
 * 0.1 % not-good. Null for other aggregates, or when nothing bad is allowed
 * and something bad happened (an infinite share has no JSON form).
 */
export function budgetConsumed(t: Threshold, value: number): number | null {
  if (t.aggregate !== 'rate') return null
  const upper = t.op === '<' || t.op === '<='
  const lower = t.op === '>' || t.op === '>='
  if (!upper && !lower) return null
  const allowed = upper ? t.target : 1 - t.target
  const bad = upper ? value : 1 - value
  if (allowed <= 0) return bad <= 0 ? 0 : null
  return bad / allowed
}

/** Format a value in the threshold's unit (`312ms`, `0.0012`, `3`). */
export function formatValue(t: Threshold, value: number | null, unit?: string): string {
  if (value === null) return 'no data'
  // an SLO that declares its unit (M11) is not in ms whatever its aggregate
  if (unit !== undefined) return `${round(value, 3)} ${unit}`
  if (t.aggregate === 'detected') return value >= 1 ? 'detected' : 'not detected'
  if (isLatency(t)) return value >= 10_000 ? `${(value / 1000).toFixed(1)}s` : `${round(value, 1)}ms`
  if (t.aggregate === 'rate') return String(round(value, 6))
  return String(round(value, 3))
}

function round(v: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(v * f) / f
}
