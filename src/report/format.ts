/** Shared text helpers for the reporters: escaping and value formatting. */
import { slos } from '../slo/index.ts'
import { formatValue, parseThreshold } from '../slo/threshold.ts'
import type { SloScore, Verdict } from '../slo/types.ts'
import type { ProbeResult, RunRecord } from '../record/index.ts'

/** Escape text for HTML and XML content and attributes. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!)
}

/** The measured value of a score in its objective's unit. */
export function formatMeasured(s: SloScore): string {
  try {
    return formatValue(parseThreshold(s.objective), s.measured, slos[s.id]?.unit)
  } catch {
    return s.measured === null ? 'no data' : String(s.measured)
  }
}

/** Margin in the objective's unit, signed. */
export function formatMargin(s: SloScore): string {
  if (s.margin === null) return '–'
  try {
    const t = parseThreshold(s.objective)
    // a yes/no objective has no distance worth printing
    if (t.aggregate === 'detected') return '–'
    return `${s.margin >= 0 ? '+' : '-'}${formatValue(t, Math.abs(s.margin), slos[s.id]?.unit)}`
  } catch {
    return String(s.margin)
  }
}

/** Budget consumed as a percentage. */
export function formatBudget(s: SloScore): string {
  return s.budgetConsumed === null ? '–' : `${Math.round(s.budgetConsumed * 1000) / 10}%`
}

/** PASS / FAIL / NO DATA. */
export function sloStatus(s: SloScore): string {
  if (s.noData) return s.pass ? 'no data' : 'FAIL (no data)'
  return s.pass ? 'pass' : 'FAIL'
}

/** The verdict in one word. */
export function verdictWord(record: RunRecord, v: Verdict): string {
  // a run that did not go to the end says how it ended, never that an SLO broke
  if (record.status === 'aborted') return 'ABORTED'
  if (record.status === 'interrupted') return 'INTERRUPTED'
  if (record.status === 'errored') return 'ERRORED'
  return v.pass ? 'PASS' : 'FAIL'
}

/** A probe value with its unit. */
export function formatProbe(p: ProbeResult): string {
  if (p.value === null) return p.status === 'ok' ? 'no value' : p.status
  if (typeof p.value === 'boolean') return p.value ? 'yes' : 'no'
  if (p.unit === 'ratio') return `${Math.round(p.value * 10000) / 100}%`
  if (p.unit === 'count' || p.unit === 'bool') return String(p.value)
  return `${Math.round(p.value * 10) / 10}${p.unit}`
}

/** Seconds with one decimal from ms since t0. */
export function atSeconds(ms: number): string {
  return `${(Math.round(ms / 100) / 10).toFixed(1)}s`
}

/** SLO label including the RS restriction. */
export function sloLabel(s: SloScore): string {
  return s.target ? `${s.id} (${s.target})` : s.id
}

/**
 * For a run that did not complete, one sentence with the time and the cause,
 * shown at the top of every report; undefined for a completed run.
 *
 * @example runEnding(record, verdict) // 'errored at 12.3s (2026-01-02T03:04:17.300Z): ERR_COMPONENT_EXITED: mock-as exited'
 */
export function runEnding(record: RunRecord, verdict: Verdict): string | undefined {
  if (record.status === 'completed') return undefined
  const when = `at ${atSeconds(record.load.durationMs)} (${record.endedAt})`
  const phase = [...record.phases].reverse().find((p) => p.status === 'aborted' || p.status === 'failed')
  const inPhase = phase ? ` during ${phase.name}${phase.detail ? ` (${phase.detail})` : ''}` : ''
  if (record.status === 'errored') {
    const cause = record.error
      ? `${record.error.code}: ${record.error.message}`
      : 'the harness failed (no error recorded)'
    return `errored ${when}${inPhase}: ${cause}. The SLOs were not measured over a whole run and say nothing about the system under test.`
  }
  if (record.status === 'interrupted')
    return `interrupted ${when}${inPhase} by SIGINT/SIGTERM; faults were reverted and the reports written from what was measured.`
  if (record.abortedBy === 'steady-state') {
    const failed = verdict.steadyState.before?.failed ?? []
    return `aborted ${when} by the steady-state gate: the system deviated before any fault${failed.length ? ` (${failed.join(', ')})` : ''}.`
  }
  const entries = (
    (record.scenario as { slos?: Array<{ id: string; target?: string; abortOnFail?: boolean }> } | undefined)?.slos ??
    []
  ).filter((e) => e.abortOnFail)
  const broke = verdict.slos.filter(
    (s) => !s.pass && (entries.length === 0 || entries.some((e) => e.id === s.id && e.target === s.target)),
  )
  const names = broke.map(
    (s) => `${sloLabel(s)}${s.firstBrokeAt !== undefined ? ` (broke at ${atSeconds(s.firstBrokeAt)})` : ''}`,
  )
  return `aborted ${when}${inPhase}: ${names.length ? `${names.join(', ')} broke and ${names.length > 1 ? 'have' : 'has'} abortOnFail` : 'an SLO with abortOnFail broke'}.`
}
