/**
 * Per-RS scoring (DESIGN.md: "every figure measured at the resource servers
 * is kept and shown per RS; the overall figure is the worst one, named").
 * For an SLO measured at the RSs whose entry names no `target`, each RS is
 * scored with the SLO's own indicator, worst first, and the attribution line
 * names the worst RS. Also the second an SLO first broke, read by every
 * reporter and the console summary.
 */
import type { RunRecord } from '../record/index.ts'
import { topKey } from './data.ts'
import { evaluate, formatValue, margin, type Threshold } from './threshold.ts'
import type { IndicatorValue, RsScore, SloDefinition } from './types.ts'

/** SLOs whose indicator is measured at each RS (a per-RS figure means something). */
export const PER_RS_SLOS: ReadonlySet<string> = new Set(['M3', 'M5', 'M9', 'S1', 'S2'])

/** Keys of an indicator breakdown that are not failure reasons. */
const NOT_A_REASON = new Set(['probe', 'events', 'p50', 'p95', 'p99', 'max'])

function passes(threshold: Threshold, v: IndicatorValue): boolean {
  return v.value !== null && v.forceFail === undefined && evaluate(threshold, v.value)
}

/** A measured value for people: rates as percentages (16.3%), the rest in the objective's unit. */
export function shownValue(threshold: Threshold, value: number | null): string {
  if (value === null) return 'no data'
  if (threshold.aggregate === 'rate') return `${(Math.round(value * 1000) / 10).toFixed(1)}%`
  return formatValue(threshold, value)
}

/**
 * The first second (ms since t0, a multiple of 1000) in `window` whose own
 * indicator breaches the objective; undefined when none does. Probe-only SLOs
 * (M5, M9) break when a failing probe's measurement crossed the limit: its
 * start plus the objective's target, at most its end; S2 fed by a fault
 * with findings breaks at the second the fault was injected.
 *
 * @example firstBreachMs(record, slos.M3, parseThreshold('rate<0.001'), [0, 30_000], 'billing') // 12_000
 */
export function firstBreachMs(
  record: RunRecord,
  def: SloDefinition,
  threshold: Threshold,
  window: [number, number],
  target?: string,
): number | undefined {
  const probeOnly = def.feeders.flows === undefined && (def.feeders.probes?.length ?? 0) > 0
  if (probeOnly) {
    let first: number | undefined
    for (const probe of def.feeders.probes ?? []) {
      for (const p of record.probes) {
        if (p.probe !== probe || p.endedAt < window[0] || p.startedAt >= window[1]) continue
        const v = def.indicator({ ...record, probes: [p] }, window, target, threshold)
        if (passes(threshold, v)) continue
        const at = Math.min(
          p.endedAt,
          p.startedAt +
            (Number.isFinite(threshold.target) && threshold.target > 0 && threshold.aggregate !== 'count'
              ? threshold.target
              : 0),
        )
        first = first === undefined ? at : Math.min(first, at)
      }
    }
    // an SLO also fed by faults that record findings (S2: the DPoP abuse faults) broke when the fault ran
    for (const fault of def.feeders.faults ?? []) {
      for (const f of record.faults) {
        if (f.fault !== fault || f.injectedAt >= window[1] || (f.revertedAt ?? Number.POSITIVE_INFINITY) < window[0])
          continue
        const v = def.indicator({ ...record, probes: [], faults: [f] }, window, target, threshold)
        if (v.value === null || passes(threshold, v)) continue
        const at = Math.floor(f.injectedAt / 1000) * 1000
        first = first === undefined ? at : Math.min(first, at)
      }
    }
    return first
  }
  const from = Math.floor(window[0] / 1000)
  const to = Math.ceil(window[1] / 1000)
  for (let s = from; s < to; s++) {
    const v = def.indicator(record, [s * 1000, (s + 1) * 1000], target, threshold)
    if (v.value !== null && !passes(threshold, v)) return s * 1000
  }
  return undefined
}

/**
 * Score each resource server of the record with `def`'s indicator over
 * `window`, worst first (failing before passing, then by margin).
 *
 * @example scorePerRs(record, slos.M3, parseThreshold('rate<0.001'), [0, 30_000])[0] // { rs: 'billing', pass: false, ... }
 */
export function scorePerRs(
  record: RunRecord,
  def: SloDefinition,
  threshold: Threshold,
  window: [number, number],
): RsScore[] {
  return record.targets.resourceServers
    .map((rs): RsScore => {
      const v = def.indicator(record, window, rs.name, threshold)
      const pass = passes(threshold, v)
      const out: RsScore = {
        rs: rs.name,
        measured: v.value,
        pass,
        noData: v.value === null,
        margin: v.value === null ? null : margin(threshold, v.value),
      }
      const reasons = Object.fromEntries(
        Object.entries(v.breakdown ?? {}).filter(([k, n]) => !NOT_A_REASON.has(k) && !k.includes('.') && n > 0),
      )
      const top = def.id === 'M3' ? topKey(reasons) : undefined
      if (top) out.reason = top.key
      if (!pass && v.value !== null) {
        const at = firstBreachMs(record, def, threshold, window, rs.name)
        if (at !== undefined) out.firstBrokeAt = at
      }
      if (v.forceFail) out.forceFail = v.forceFail
      return out
    })
    .sort(
      (a, b) =>
        Number(a.pass) - Number(b.pass) || Number(a.noData) - Number(b.noData) || (a.margin ?? 0) - (b.margin ?? 0),
    )
}

/** `billing: 16.3% rejections, validator_unavailable` — one RS's figure. */
export function rsPhrase(id: string, threshold: Threshold, r: RsScore): string {
  if (r.noData) return `${r.rs} no data`
  const noun = id === 'M3' && !r.pass ? ' rejections' : ''
  const reason = r.reason && !r.pass ? `, ${r.reason}` : ''
  return `${r.rs} ${shownValue(threshold, r.measured)}${noun}${reason}`
}

/**
 * The attribution line of a per-RS score: `broke at billing: 16.3% rejections,
 * validator_unavailable; orders 0.0%`, then the SLO's own explanation.
 */
export function perRsAttribution(
  id: string,
  threshold: Threshold,
  perRs: readonly RsScore[],
  why: string | undefined,
): string | undefined {
  const [worst, ...rest] = perRs
  if (!worst || worst.pass || worst.noData) return why
  const head = `broke at ${worst.rs}: ${rsPhrase(id, threshold, worst).slice(worst.rs.length + 1)}`
  const others = rest.map((r) => rsPhrase(id, threshold, r))
  return [head, ...others].join('; ') + (why ? ` — ${why}` : '')
}
