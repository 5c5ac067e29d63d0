/**
 * The end-of-run summary on the console (k6's end-of-test summary): the SLO
 * table, every broken SLO with its "why", a per-RS line for the SLOs measured
 * at the resource servers when the stack has several, and for a run that
 * errored the error's code, message and hint — never "an SLO broke".
 */
import { errorCodes } from '../errors.ts'
import type { RunRecord } from '../record/index.ts'
import { formatMeasured, runEnding, sloStatus } from '../report/format.ts'
import { PER_RS_SLOS, scorePerRs, shownValue } from '../slo/per-rs.ts'
import { parseThreshold } from '../slo/threshold.ts'
import type { SloDefinition, SloScore, Verdict } from '../slo/types.ts'
import { table } from './output.ts'

/** A measured value for people: rates as percentages (16.3%), the rest as the reports print them. */
function shown(score: SloScore): string {
  try {
    const t = parseThreshold(score.objective)
    if (t.aggregate === 'rate' && score.measured !== null) return shownValue(t, score.measured)
  } catch {
    // an objective the reports print as it is
  }
  return formatMeasured(score)
}

/** Per-RS measured values of an RS-measured SLO, worst first ("billing 16.3%, orders 0.0%"): the score's own breakdown, else computed. */
function perRs(
  record: RunRecord,
  score: SloScore,
  def: SloDefinition,
): Array<{ rs: string; text: string; pass: boolean }> {
  const threshold = parseThreshold(score.objective)
  const rows = score.perRs ?? scorePerRs(record, def, threshold, score.windowMs)
  return rows.map((r) => ({ rs: r.rs, text: shownValue(threshold, r.measured), pass: r.pass }))
}

/** The summary block, lines without a trailing newline. */
export function formatRunSummary(record: RunRecord, verdict: Verdict, slos: Record<string, SloDefinition>): string {
  const lines: string[] = []
  if (record.status === 'errored') {
    const code = record.error?.code ?? 'ERR_INTERNAL'
    lines.push(`the run errored: ${code}: ${record.error?.message ?? 'no message'}`)
    const hint = record.error?.hint ?? (errorCodes as Record<string, { fix: string } | undefined>)[code]?.fix
    if (hint) lines.push(`hint: ${hint}`)
    lines.push('the SLOs below were not measured over a whole run: they say nothing about the system under test')
  } else if (record.status !== 'completed') {
    lines.push(`the run ${runEnding(record, verdict)}`)
  }
  if (verdict.slos.length === 0) return lines.join('\n')
  const several = record.targets.resourceServers.length > 1
  const rows = verdict.slos.map((s) => {
    const def = slos[s.id]
    const rsCol =
      several && !s.target && def && PER_RS_SLOS.has(s.id) && !s.noData
        ? perRs(record, s, def)
            .map((r) => `${r.rs} ${r.text}${r.pass ? '' : ' ✗'}`)
            .join(', ')
        : (s.target ?? '')
    return [
      s.target ? `${s.id}@${s.target}` : s.id,
      s.objective,
      s.window,
      shown(s),
      sloStatus(s),
      ...(several ? [rsCol] : []),
    ]
  })
  lines.push(table(rows, ['SLO', 'objective', 'window', 'measured', 'status', ...(several ? ['per RS'] : [])]))
  const broken = verdict.slos.filter((s) => !s.pass)
  for (const s of broken)
    lines.push(
      `✗ ${s.id} ${s.title}: ${s.attribution ?? (s.noData ? 'no data in its window' : `measured ${shown(s)}, objective ${s.objective}`)}`,
    )
  const ss = verdict.steadyState
  if (ss.before && !ss.before.held)
    lines.push(`steady state did not hold before the first fault: ${ss.before.failed.join(', ')}`)
  if (ss.after && !ss.after.held)
    lines.push(`steady state did not hold after the last revert: ${ss.after.failed.join(', ')}`)
  return lines.join('\n')
}
