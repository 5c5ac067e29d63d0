/**
 * What each resource server went through, from the record and the verdict:
 * acceptance in the fault window and after, when it first rejected and why,
 * when (or whether) it recovered, and the per-RS figures of the probes. The
 * markdown and HTML reporters both read this, so they always agree.
 */
import type { RunRecord, Series } from '../record/index.ts'
import { failureKey, inWindow, seriesOf } from '../slo/data.ts'
import { slos as catalog } from '../slo/index.ts'
import { isValidationFailure } from '../slo/m3.ts'
import { evaluate, parseThreshold, type Threshold } from '../slo/threshold.ts'
import type { Verdict } from '../slo/types.ts'

/** One RS's story. Times are ms since t0; `null` means "never" where a value was expected. */
export interface RsFacts {
  rs: string
  /** The RS entry's `description`, else its profile, else `external`. */
  label: string
  /** Share of valid-token requests accepted in the fault window / after the last revert; undefined without traffic or window. */
  acceptedFault?: number
  acceptedAfter?: number
  /** First second a valid token was rejected after the first fault was injected, with its most frequent reason then. */
  firstRejection?: { at: number; reason: string }
  /** Where recovery is measured from: the last revert, or for a rotation the key publication. */
  recoverFrom?: { at: number; what: RecoverFrom }
  /** First second back under M3's objective after the last second over it; null: never (still over at the end). */
  recoveredAt?: number | null
  /** JWKS refresh latency from key publication (ms); null: never accepted the new key. */
  jwksRefreshMs?: number | null
  /** Revocation propagation (ms); null: never rejected the revoked token. */
  revocationMs?: number | null
  /** Clock skew tolerated (s), ahead / behind. */
  skew?: { ahead: number | null; behind: number | null }
  /** Attacks accepted (S2), when scored. */
  attacksAccepted?: number | null
  /** For each RS-measured SLO (M3, M5, M9, S1) that broke at this RS: when it was back under that SLO's own objective. */
  recoveries: SloRecovery[]
}

/** What recovery is measured from. */
export type RecoverFrom = 'revert' | 'key publication' | 'revocation'

/** When an RS was back under one SLO's objective. */
export interface SloRecovery {
  slo: string
  objective: string
  /** Where it is measured from; undefined without a fault, publication or revocation to measure from. */
  from?: { at: number; what: RecoverFrom }
  /** Ms since t0 of the first second back under the objective after the last second over it; null: never. */
  recoveredAt: number | null
}

/** SLOs whose recovery is told per RS (S2 counts attacks: nothing to recover from). */
const RECOVERY_SLOS = ['M3', 'M5', 'M9', 'S1']

function passes(t: Threshold, v: { value: number | null; forceFail?: string }): boolean {
  return v.value !== null && v.forceFail === undefined && evaluate(t, v.value)
}

/**
 * Per-second SLOs (M3, S1): scanning back from the end, the last second over
 * the objective, then the first second with data under it. Probe SLOs (M5,
 * M9): the moment the probe saw this RS converge (revocation or publication
 * plus the RS's figure), never when it timed out.
 */
function recoveryOf(
  record: RunRecord,
  verdictSlo: Verdict['slos'][number],
  rs: string,
  from: { at: number; what: RecoverFrom } | undefined,
  figures: { jwksRefreshMs?: number | null; revocationMs?: number | null; publishedAt?: number; revokedAt?: number },
): SloRecovery | undefined {
  const def = catalog[verdictSlo.id]
  if (!def) return undefined
  let threshold: Threshold
  try {
    threshold = parseThreshold(verdictSlo.objective)
  } catch {
    return undefined
  }
  const base = { slo: verdictSlo.id, objective: verdictSlo.objective }
  if (def.id === 'M9') {
    if (figures.jwksRefreshMs === undefined || figures.publishedAt === undefined) return undefined
    return {
      ...base,
      from: { at: figures.publishedAt, what: 'key publication' },
      recoveredAt: figures.jwksRefreshMs === null ? null : figures.publishedAt + figures.jwksRefreshMs,
    }
  }
  if (def.id === 'M5') {
    if (figures.revocationMs === undefined || figures.revokedAt === undefined) return undefined
    return {
      ...base,
      from: { at: figures.revokedAt, what: 'revocation' },
      recoveredAt: figures.revocationMs === null ? null : figures.revokedAt + figures.revocationMs,
    }
  }
  const start = Math.floor(
    (verdictSlo.perRs?.find((r) => r.rs === rs)?.firstBrokeAt ?? verdictSlo.firstBrokeAt ?? 0) / 1000,
  )
  const end = Math.ceil(record.load.durationMs / 1000)
  const at = (s: number) => def.indicator(record, [s * 1000, (s + 1) * 1000], rs, threshold)
  let lastBad: number | undefined
  for (let s = end - 1; s >= start && lastBad === undefined; s--) {
    const v = at(s)
    if (v.value !== null && !passes(threshold, v)) lastBad = s
  }
  if (lastBad === undefined) return undefined
  let back: number | null = null
  for (let s = lastBad + 1; s < end && back === null; s++) if (passes(threshold, at(s))) back = s * 1000
  return { ...base, ...(from ? { from } : {}), recoveredAt: back }
}

/**
 * The SLOs of the verdict measured at `rs` that broke there: its per-RS row,
 * an entry targeting it, or the overall score when the record has one RS.
 */
function brokenAt(verdict: Verdict, rs: string, only: boolean): Verdict['slos'] {
  return verdict.slos.filter((s) => {
    if (!RECOVERY_SLOS.includes(s.id) || s.noData) return false
    if (s.target !== undefined) return s.target === rs && !s.pass
    if (s.perRs) return s.perRs.some((r) => r.rs === rs && !r.pass && !r.noData)
    return only && !s.pass
  })
}

function validTokenSeries(record: RunRecord, rs: string): Series[] {
  return seriesOf(record, ['rs_request'], rs).filter(
    (s) => s.tags.target === rs && s.tags.token !== 'revoked' && s.tags.token !== 'attacker',
  )
}

function acceptance(series: readonly Series[], window: [number, number] | undefined): number | undefined {
  if (!window || window[1] <= window[0]) return undefined
  let total = 0
  let bad = 0
  for (const s of series) {
    for (const b of s.buckets) {
      if (!inWindow(b.s, window)) continue
      total += b.count
      if (isValidationFailure(s)) bad += b.count
    }
  }
  return total === 0 ? undefined : (total - bad) / total
}

/** Per second: valid-token requests and validation failures by reason, for one RS. */
export function rsSeconds(
  record: RunRecord,
  rs: string,
): Map<number, { total: number; rejected: Record<string, number> }> {
  const out = new Map<number, { total: number; rejected: Record<string, number> }>()
  for (const s of validTokenSeries(record, rs)) {
    const bad = isValidationFailure(s)
    const key = failureKey(s)
    for (const b of s.buckets) {
      const sec = out.get(b.s) ?? { total: 0, rejected: {} }
      sec.total += b.count
      if (bad && b.count > 0) sec.rejected[key] = (sec.rejected[key] ?? 0) + b.count
      out.set(b.s, sec)
    }
  }
  return out
}

function m3Threshold(verdict: Verdict): Threshold {
  const listed = verdict.slos.find((s) => s.id === 'M3' && s.target === undefined)
  try {
    return parseThreshold(listed?.objective ?? catalog.M3!.objective)
  } catch {
    return parseThreshold(catalog.M3!.objective)
  }
}

function num(v: unknown): number | null {
  return typeof v === 'number' ? v : null
}

/**
 * What an RS is, for people: its entry's `description`, else its profile, else `external`.
 *
 * @example rsLabel(record, 'payments') // 'payments API (express-oauth2-jwt-bearer)'
 */
export function rsLabel(record: RunRecord, rs: string): string {
  const stack = (
    record.scenario as
      | { stack?: { resourceServers?: Array<{ name?: string; description?: string; profile?: string }> } }
      | undefined
  )?.stack
  const entry = stack?.resourceServers?.find((r) => r.name === rs)
  const target = record.targets.resourceServers.find((r) => r.name === rs)
  return entry?.description ?? target?.profile ?? entry?.profile ?? 'external'
}

/**
 * The facts of every RS of the record, in the record's order.
 *
 * @example rsFacts(record, verdict).map((f) => `${f.rs}: ${f.recoveredAt}`)
 */
export function rsFacts(record: RunRecord, verdict: Verdict): RsFacts[] {
  const threshold = m3Threshold(verdict)
  const injected = record.faults.filter((f) => f.status !== 'inject-failed')
  const firstInject = injected.length ? Math.min(...injected.map((f) => f.injectedAt)) : undefined
  const reverts = injected.map((f) => f.revertedAt).filter((t): t is number => t !== undefined)
  const lastRevert = reverts.length ? Math.max(...reverts) : undefined
  const rotation = injected.some((f) => /rotation/.test(f.fault))
  const published =
    firstInject === undefined
      ? undefined
      : record.events.find((e) => e.type === 'key.published' && e.t >= firstInject - 1000)
  const recoverFrom: RsFacts['recoverFrom'] =
    rotation && published
      ? { at: published.t, what: 'key publication' }
      : lastRevert !== undefined
        ? { at: lastRevert, what: 'revert' }
        : undefined
  const end = record.load.durationMs
  const afterWindow: [number, number] | undefined = lastRevert !== undefined ? [lastRevert, end] : undefined

  return record.targets.resourceServers.map((target) => {
    const rs = target.name
    const facts: RsFacts = { rs, label: rsLabel(record, rs), recoveries: [] }
    const series = validTokenSeries(record, rs)
    const fa = acceptance(series, record.windows.fault)
    if (fa !== undefined) facts.acceptedFault = fa
    const af = acceptance(series, afterWindow)
    if (af !== undefined) facts.acceptedAfter = af
    if (firstInject !== undefined) {
      const seconds = [...rsSeconds(record, rs).entries()].sort(([a], [b]) => a - b)
      const bad = (sec: { total: number; rejected: Record<string, number> }) => {
        const n = Object.values(sec.rejected).reduce((a, b) => a + b, 0)
        const value = threshold.aggregate === 'count' ? n : n / sec.total
        return sec.total > 0 && !evaluate(threshold, value)
      }
      const first = seconds.find(([s, sec]) => (s + 1) * 1000 > firstInject && bad(sec))
      if (first) {
        const reason =
          Object.entries(first[1].rejected).sort(([ka, a], [kb, b]) => b - a || ka.localeCompare(kb))[0]?.[0] ??
          'unknown'
        facts.firstRejection = { at: first[0] * 1000, reason }
        if (recoverFrom) {
          facts.recoverFrom = recoverFrom
          // back for good: the first second with traffic under the objective after the last one over it
          const lastBad = seconds.filter(([, sec]) => bad(sec)).at(-1)![0]
          const back = seconds.find(([s, sec]) => s > lastBad && sec.total > 0 && !bad(sec))
          facts.recoveredAt = back ? back[0] * 1000 : null
        }
      }
    }
    const jwks = record.probes.filter((p) => p.probe === 'jwks-refresh-latency' && p.breakdown && rs in p.breakdown)
    for (const p of jwks) {
      const fromPub = num(p.breakdown![`${rs}.fromPublication`])
      // records before the probe marked `<rs>.timedOut`: an incomplete probe's RS without a publication figure never accepted
      const flagged = Object.keys(p.breakdown!).some((k) => k.endsWith('.timedOut'))
      const timedOut = p.breakdown![`${rs}.timedOut`] === true || (!flagged && p.status !== 'ok')
      const v = fromPub ?? (timedOut ? null : num(p.breakdown![rs]))
      facts.jwksRefreshMs = v === null ? null : p.unit === 's' ? v * 1000 : v
    }
    const rev = record.probes.filter((p) => p.probe === 'revocation-propagation' && p.breakdown && rs in p.breakdown)
    const revokedAt = rev.at(-1)?.startedAt
    for (const p of rev) {
      const v = p.breakdown![`${rs}.timedOut`] === true ? null : num(p.breakdown![rs])
      facts.revocationMs = v === null ? null : p.unit === 's' ? v * 1000 : v
    }
    const skew = record.probes.find(
      (p) => p.probe === 'clock-skew-tolerance' && p.breakdown && `${rs}.ahead` in p.breakdown,
    )
    if (skew) facts.skew = { ahead: num(skew.breakdown![`${rs}.ahead`]), behind: num(skew.breakdown![`${rs}.behind`]) }
    const s2 = verdict.slos.find((s) => s.id === 'S2' && (s.target === rs || s.perRs?.some((r) => r.rs === rs)))
    if (s2)
      facts.attacksAccepted = s2.target === rs ? s2.measured : (s2.perRs!.find((r) => r.rs === rs)!.measured ?? null)
    const probeStart = jwks.at(-1)?.startedAt
    const publishedAt =
      published?.t ??
      (probeStart === undefined
        ? undefined
        : (record.events.find((e) => e.type === 'key.published' && e.t >= probeStart - 1000)?.t ?? probeStart))
    for (const slo of brokenAt(verdict, rs, record.targets.resourceServers.length === 1)) {
      const r = recoveryOf(record, slo, rs, recoverFrom, {
        ...(facts.jwksRefreshMs !== undefined ? { jwksRefreshMs: facts.jwksRefreshMs } : {}),
        ...(facts.revocationMs !== undefined ? { revocationMs: facts.revocationMs } : {}),
        ...(publishedAt !== undefined ? { publishedAt } : {}),
        ...(revokedAt !== undefined ? { revokedAt } : {}),
      })
      if (r) facts.recoveries.push(r)
    }
    return facts
  })
}

/**
 * One recovery for people, in two parts: when (`at 24.0s`) and relative to
 * what it is measured from (`4.0s after the revert`, `before the revert`);
 * null when it never recovered.
 *
 * @example recoveryParts({ slo: 'M3', objective: 'rate<0.001', from: { at: 20_000, what: 'revert' }, recoveredAt: 24_000 }) // { at: 'at 24.0s', relative: '4.0s after the revert' }
 */
export function recoveryParts(r: SloRecovery): { at: string; relative?: string } | null {
  if (r.recoveredAt === null) return null
  const at = `at ${(r.recoveredAt / 1000).toFixed(1)}s`
  if (!r.from) return { at }
  const d = r.recoveredAt - r.from.at
  return { at, relative: d < 0 ? `before the ${r.from.what}` : `${(d / 1000).toFixed(1)}s after the ${r.from.what}` }
}

/** For a table cell: `4.0s after revert (at 24.0s)`, `before the revert (at 13.0s)`, `never`. */
export function recoveryPhrase(r: SloRecovery): string {
  const p = recoveryParts(r)
  if (p === null) return 'never'
  return p.relative ? `${p.relative.replace(/ after the /, ' after ')} (${p.at})` : p.at
}
