/**
 * The per-RS × attack table of the S2 findings (the `jwt-attacks` probe and
 * the DPoP abuse faults), for the reports: one row per attack, one column
 * per resource server, a cell that says refused, ACCEPTED, fetched the
 * attacker URL, a robustness finding, or not applicable. Pure: read from the
 * record's probe observations and fault details.
 */
import type { RunRecord } from '../record/index.ts'
import { attackFindingsOf } from '../slo/attack-findings.ts'

export interface Finding {
  rs: string
  attack: string
  applicable?: boolean
  accepted?: boolean
  fetchedAttackerUrl?: boolean
  robustness?: string
  status?: number
}

/** The attack findings of a run (one per RS and attack): jwt-attacks first, then the DPoP faults, each in the order taken. */
export function attackFindings(record: RunRecord): Finding[] {
  return attackFindingsOf(record).findings
}

/** Cell text for one finding. */
export function attackCell(f: Finding | undefined): string {
  if (!f) return ''
  if (f.applicable === false) return 'n/a'
  const parts: string[] = []
  if (f.accepted) parts.push(`ACCEPTED (${f.status ?? '?'})`)
  if (f.fetchedAttackerUrl) parts.push('fetched attacker URL')
  if (f.robustness) parts.push(f.robustness)
  return parts.length ? parts.join(', ') : `refused (${f.status ?? '?'})`
}

/**
 * The table of the run's attack findings, or undefined when neither the probe nor a DPoP abuse fault ran.
 *
 * @example
 * ```ts
 * const t = attackTable(record) // { rss: ['orders'], rows: [['alg-none', 'refused (401)'], ...] }
 * ```
 */
export function attackTable(record: RunRecord): { rss: string[]; rows: string[][] } | undefined {
  const findings = attackFindings(record)
  if (findings.length === 0) return undefined
  const rss = [...new Set(findings.map((f) => f.rs))]
  const attacks = [...new Set(findings.map((f) => f.attack))]
  const rows = attacks.map((a) => [
    a,
    ...rss.map((rs) => attackCell(findings.findLast((f) => f.rs === rs && f.attack === a))),
  ])
  return { rss, rows }
}
