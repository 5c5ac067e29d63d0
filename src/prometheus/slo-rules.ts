/**
 * A scenario's SLOs as a Prometheus rule file, in the shapes Sloth generates
 * (sloth.dev, `prometheus/v1`), so Sloth's Grafana dashboard reads it as is:
 * per SLO with a server-side SLI, recording rules `slo:sli_error:ratio_rate<w>`
 * labelled `sloth_id`, `sloth_service`, `sloth_slo`, `sloth_window`; the
 * metadata series (`slo:objective:ratio`, `slo:error_budget:ratio`,
 * `slo:period_error_budget_remaining:ratio`, `sloth_slo_info`, …); and
 * multi-window multi-burn-rate alerts `GamedaySLO_<id>_<page|ticket>`.
 * The same builder makes the in-run rules of `run --prometheus` with
 * game-day windows (`gameDayWindows`).
 *
 * One deviation from Sloth: the error numerator is `or vector(0)`. The
 * components create a labelled counter on its first error, so without it the
 * ratio would be absent, not 0, while nothing fails.
 */
import { stringify } from 'yaml'
import type { Scenario } from '../scenario/schema.ts'
import { slos as catalog } from '../slo/index.ts'
import { parseThreshold } from '../slo/threshold.ts'
import { PACKAGE_VERSION } from '../util/package-root.ts'
import { noSli, slis } from './slis.ts'
import { type BurnWindow, burnWindows, promDuration, type Severity } from './windows.ts'

/** Where each alert's runbook lives (an anchor per SLO id). */
export const RUNBOOK_BASE = 'https://github.com/oauth-gameday/oauth-gameday/blob/main/docs/prometheus-alerts.md'

/** An SLO left out of the rules, and why. */
export interface SkippedSlo {
  readonly id: string
  readonly reason: string
}

export interface SloRulesOptions {
  /** SLO period in seconds (default 30 days). */
  readonly periodSeconds?: number
  /** Alert windows; default the SRE workbook's, scaled to the period. */
  readonly windows?: readonly BurnWindow[]
}

/** One alert the rules define. */
export interface SloAlert {
  readonly alert: string
  readonly slo: string
  readonly severity: Severity
  /** `sloth_slo` label value (`m3`, or `m3-orders` for an SLO restricted to one RS). */
  readonly sloth_slo: string
  readonly windows: readonly BurnWindow[]
  readonly budget: number
}

export interface SloRules {
  /** The rule file as an object (`{ groups }`). */
  readonly file: { groups: unknown[] }
  readonly skipped: readonly SkippedSlo[]
  readonly alerts: readonly SloAlert[]
}

/**
 * Error budget of a rate objective, or why it has none.
 *
 * @example errorBudget('rate>=0.999') // 0.001
 */
export function errorBudget(objective: string): number | string {
  let t: ReturnType<typeof parseThreshold>
  try {
    t = parseThreshold(objective)
  } catch {
    return `objective ${JSON.stringify(objective)} is not a threshold`
  }
  if (t.aggregate !== 'rate') return `objective ${JSON.stringify(objective)} is not a rate`
  const budget = t.op === '<' || t.op === '<=' ? t.target : t.op === '>' || t.op === '>=' ? 1 - t.target : Number.NaN
  if (!(budget > 0 && budget < 1)) return `objective ${JSON.stringify(objective)} leaves no error budget`
  return Number(budget.toPrecision(12))
}

/**
 * The error budget of a latency percentile objective over a classic
 * histogram: `p(95)<300ms` allows 5% of requests above 0.3 s, which must be
 * one of the histogram's buckets.
 *
 * @example latencyBudget('p(95)<300ms', [0.25, 0.3, 0.5]) // { budget: 0.05, le: '0.3' }
 */
export function latencyBudget(objective: string, buckets: readonly number[]): { budget: number; le: string } | string {
  let t: ReturnType<typeof parseThreshold>
  try {
    t = parseThreshold(objective)
  } catch {
    return `objective ${JSON.stringify(objective)} is not a threshold`
  }
  if (t.aggregate !== 'p' || t.percentile === undefined || (t.op !== '<' && t.op !== '<='))
    return `objective ${JSON.stringify(objective)} is not an upper bound on a percentile`
  const seconds = t.target / 1000
  if (!buckets.includes(seconds))
    return `objective ${JSON.stringify(objective)}: the latency histogram has no bucket at ${seconds}s (buckets: ${buckets.join(', ')})`
  const budget = Number((1 - t.percentile / 100).toPrecision(12))
  if (!(budget > 0)) return `objective ${JSON.stringify(objective)} leaves no error budget`
  return { budget, le: String(seconds) }
}

/**
 * Alert name of an SLO and severity.
 *
 * @example alertName('M3', 'page') // 'GamedaySLO_M3_page'
 */
export function alertName(id: string, severity: Severity): string {
  return `GamedaySLO_${id}_${severity}`
}

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')

/**
 * Build the rules for a scenario's SLOs (the whole catalog when it lists none).
 *
 * @example buildSloRules(scenario).alerts.map((a) => a.alert) // ['GamedaySLO_M1_page', 'GamedaySLO_M1_ticket', …]
 */
export function buildSloRules(scenario: Pick<Scenario, 'id' | 'slos'>, opts: SloRulesOptions = {}): SloRules {
  const period = opts.periodSeconds ?? 30 * 86400
  const windows = opts.windows ?? burnWindows(period)
  const entries =
    scenario.slos.length > 0 ? scenario.slos : Object.keys(catalog).map((id) => ({ id }) as Scenario['slos'][number])
  const groups: unknown[] = []
  const skipped: SkippedSlo[] = []
  const alerts: SloAlert[] = []
  const seen = new Set<string>()
  const service = scenario.id
  for (const entry of entries) {
    const { id, target } = entry
    const sli = slis[id]
    if (!sli) {
      if (!seen.has(id)) skipped.push({ id, reason: noSli[id] ?? 'no server-side metric measures it' })
      seen.add(id)
      continue
    }
    if (target !== undefined && !sli.targetLabel) {
      skipped.push({
        id,
        reason: `restricted to resource server ${JSON.stringify(target)}, but its metric is not kept per RS`,
      })
      continue
    }
    const slo = target === undefined ? id.toLowerCase() : `${id.toLowerCase()}-${target}`
    if (seen.has(slo)) continue
    seen.add(slo)
    const objective = entry.objective ?? catalog[id]?.objective ?? ''
    const extra = target !== undefined && sli.targetLabel ? `${sli.targetLabel}="${esc(target)}"` : ''
    let budget: number
    let bad: (d: string) => string
    let total: (d: string) => string
    if (sli.latency) {
      const lat = latencyBudget(objective, sli.latency.buckets)
      if (typeof lat === 'string') {
        skipped.push({ id, reason: lat })
        continue
      }
      const { histogram: h } = sli.latency
      const mm = sli.latency.matchers(extra)
      budget = lat.budget
      bad = (d) => `(sum(rate(${h}_count{${mm}}[${d}])) - sum(rate(${h}_bucket{${mm},le="${lat.le}"}[${d}])))`
      total = (d) => `sum(rate(${h}_count{${mm}}[${d}]))`
    } else {
      const b = errorBudget(objective)
      if (typeof b === 'string') {
        skipped.push({ id, reason: b })
        continue
      }
      budget = b
      bad = (d) => `sum(rate(${sli.bad(extra)}[${d}]))`
      total = (d) => `sum(rate(${sli.total(extra)}[${d}]))`
    }
    const labels = { sloth_id: `${service}-${slo}`, sloth_service: service, sloth_slo: slo }
    const sel = `{${Object.entries(labels)
      .map(([k, v]) => `${k}="${esc(v)}"`)
      .join(', ')}}`
    const alertDurations = [...new Set(windows.flatMap((w) => [w.shortSeconds, w.longSeconds]))].sort((a, b) => a - b)
    const base = promDuration(alertDurations[0] ?? 300)
    const periodName = promDuration(period)
    const recording: unknown[] = alertDurations.map((s) => {
      const d = promDuration(s)
      return {
        record: `slo:sli_error:ratio_rate${d}`,
        expr: `(${bad(d)} or vector(0))\n/\n(${total(d)} > 0)\n`,
        labels: { ...labels, sloth_window: d },
      }
    })
    // The period window, as Sloth computes it: the mean of the shortest window's ratio over the period.
    if (!alertDurations.includes(period)) {
      recording.push({
        record: `slo:sli_error:ratio_rate${periodName}`,
        expr: `sum_over_time(slo:sli_error:ratio_rate${base}${sel}[${periodName}])\n/ ignoring (sloth_window)\ncount_over_time(slo:sli_error:ratio_rate${base}${sel}[${periodName}])\n`,
        labels: { ...labels, sloth_window: periodName },
      })
    }
    const meta = [
      { record: 'slo:objective:ratio', expr: `vector(${Number((1 - budget).toPrecision(12))})`, labels },
      { record: 'slo:error_budget:ratio', expr: `vector(${budget})`, labels },
      { record: 'slo:time_period:days', expr: `vector(${Number((period / 86400).toPrecision(6))})`, labels },
      {
        record: 'slo:current_burn_rate:ratio',
        expr: `slo:sli_error:ratio_rate${base}${sel}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\nslo:error_budget:ratio${sel}\n`,
        labels,
      },
      {
        record: 'slo:period_burn_rate:ratio',
        expr: `slo:sli_error:ratio_rate${periodName}${sel}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\nslo:error_budget:ratio${sel}\n`,
        labels,
      },
      { record: 'slo:period_error_budget_remaining:ratio', expr: `1 - slo:period_burn_rate:ratio${sel}`, labels },
      {
        record: 'sloth_slo_info',
        expr: 'vector(1)',
        labels: {
          ...labels,
          sloth_mode: 'cli-gen-prom',
          sloth_objective: String(Number(((1 - budget) * 100).toPrecision(12))),
          sloth_spec: 'prometheus/v1',
          sloth_version: `oauth-gameday-${PACKAGE_VERSION}`,
        },
      },
    ]
    groups.push({ name: `sloth-slo-sli-recordings-${labels.sloth_id}`, rules: recording })
    groups.push({ name: `sloth-slo-meta-recordings-${labels.sloth_id}`, rules: meta })
    const title = catalog[id]?.title ?? id
    const alertRules = (['page', 'ticket'] as const).flatMap((severity) => {
      const ws = windows.filter((w) => w.severity === severity)
      if (ws.length === 0) return []
      const over = (s: number, f: number) => `(slo:sli_error:ratio_rate${promDuration(s)}${sel} > (${f} * ${budget}))`
      const expr = ws
        .map(
          (w) =>
            `(\n    ${over(w.shortSeconds, w.factor)}\n    and ignoring (sloth_window)\n    ${over(w.longSeconds, w.factor)}\n)`,
        )
        .join('\nor ignoring (sloth_window)\n')
      const name = alertName(id, severity)
      alerts.push({ alert: name, slo: id, severity, sloth_slo: slo, windows: ws, budget })
      const how = ws
        .map((w) => `${w.factor}x over ${promDuration(w.shortSeconds)} and ${promDuration(w.longSeconds)}`)
        .join(', or ')
      return [
        {
          alert: name,
          expr: `${expr}\n`,
          labels: { sloth_severity: severity, severity, slo: id },
          annotations: {
            summary: `${service} ${id}${target ? ` (${target})` : ''} (${title}) is burning its error budget (${budget} of requests) too fast: ${sli.what}, ${how}.`,
            title: `(${severity}) ${service} ${slo} SLO error budget burn rate is too fast.`,
            runbook_url: `${RUNBOOK_BASE}#${id.toLowerCase()}`,
          },
        },
      ]
    })
    groups.push({ name: `sloth-slo-alerts-${labels.sloth_id}`, rules: alertRules })
  }
  return { file: { groups }, skipped, alerts }
}

/** The rule file as YAML, with a header naming the skipped SLOs and why. */
export function renderSloRules(scenarioId: string, rules: SloRules): string {
  const head = [
    `# oauth-gameday SLO rules for scenario ${scenarioId}: generated by \`oauth-gameday export slo-rules\`; do not edit.`,
  ]
  for (const s of rules.skipped) head.push(`# ${s.id}: no server-side SLI: ${s.reason}`)
  return `${head.join('\n')}\n${stringify(rules.file, { lineWidth: 0, aliasDuplicateObjects: false })}`
}
