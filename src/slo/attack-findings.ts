/**
 * The attack findings S2 counts and the reports tabulate, one per RS and
 * attack: the `jwt-attacks` probe's observations and the findings the DPoP
 * abuse faults (`stolen-dpop-token`, `dpop-proof-replay`) put in their
 * fault window's `details.findings`. Also why an RS was not attacked (an
 * honest request refused, no token): S2 fails on that rather than passing
 * vacuously.
 */
import type { RunRecord } from '../record/index.ts'
import { probesOf } from './data.ts'

/** The probes whose observations are attack findings. */
export const ATTACK_PROBES = ['jwt-attacks'] as const
/** The faults whose `details.findings` are attack findings (`dpop-` attack ids). */
export const ATTACK_FAULTS = ['stolen-dpop-token', 'dpop-proof-replay'] as const

export interface AttackFindingView {
  rs: string
  attack: string
  applicable?: boolean
  accepted?: boolean
  fetchedAttackerUrl?: boolean
  robustness?: string
  status?: number
}

const isFinding = (o: unknown): o is AttackFindingView =>
  typeof o === 'object' &&
  o !== null &&
  typeof (o as { rs?: unknown }).rs === 'string' &&
  typeof (o as { attack?: unknown }).attack === 'string'

/**
 * Findings and not-attacked notes of the run, optionally within `window`
 * (ms since t0), in the order they were taken: probes first, then faults.
 *
 * @example
 * ```ts
 * const { findings } = attackFindingsOf(record) // [{ rs: 'orders', attack: 'dpop-proof-replay', accepted: false, ... }]
 * ```
 */
export function attackFindingsOf(
  record: RunRecord,
  window: [number, number] = [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
): { findings: AttackFindingView[]; unattacked: string[] } {
  const findings: AttackFindingView[] = []
  const unattacked: string[] = []
  for (const probe of ATTACK_PROBES)
    for (const r of probesOf(record, probe, window)) {
      findings.push(...(r.observations as unknown[]).filter(isFinding))
      if (r.status !== 'ok' && r.error) unattacked.push(`${probe}: ${r.error}`)
    }
  for (const f of record.faults) {
    if (!(ATTACK_FAULTS as readonly string[]).includes(f.fault)) continue
    if (f.injectedAt >= window[1] || (f.revertedAt ?? Number.POSITIVE_INFINITY) < window[0]) continue
    if (f.status === 'inject-failed') {
      unattacked.push(`${f.fault}: did not inject${f.error ? ` (${f.error})` : ''}`)
      continue
    }
    const found = f.details?.findings
    if (Array.isArray(found)) findings.push(...found.filter(isFinding))
    const notes = f.details?.unattacked
    if (Array.isArray(notes))
      for (const n of notes) if (typeof n === 'string') unattacked.push(`${f.fault}: not attacked: ${n}`)
  }
  return { findings, unattacked }
}
