/**
 * The per-RS × attack table of the `jwt-attacks` findings (S2), for the
 * reports: one row per attack, one column per resource server, a cell that
 * says refused, ACCEPTED, fetched the attacker URL, a robustness finding,
 * or not applicable. Pure: read from the record's probe observations.
 */
import type { RunRecord } from '../record/index.ts'

export interface Finding {
  rs: string
  attack: string
  applicable?: boolean
  accepted?: boolean
  fetchedAttackerUrl?: boolean
  robustness?: string
  status?: number
}

/** The jwt-attacks findings of a run (one per RS and attack), in the order the probe took them. */
export function attackFindings(record: RunRecord): Finding[] {
  return record.probes
    .filter((p) => p.probe === 'jwt-attacks')
    .flatMap((p) => p.observations as unknown as Finding[])
    .filter((f) => typeof f.rs === 'string' && typeof f.attack === 'string')
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
 * The table of the run's jwt-attacks findings, or undefined when the probe did not run.
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
