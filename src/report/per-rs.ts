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
  recoverFrom?: { at: number; what: 'revert' | 'key publication' }
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

function label(record: RunRecord, rs: string): string {
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
    const facts: RsFacts = { rs, label: label(record, rs) }
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
    return facts
  })
}
