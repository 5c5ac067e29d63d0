/**
 * S2 — attacks accepted per RS (security): hostile tokens a resource server
 * served with a 2xx (alg none, key confusion, another audience's token, a
 * token without the scope, a refresh token, ...) plus fetches of an
 * attacker's key URL (jku, x5u), from the `jwt-attacks` probe's findings;
 * and DPoP abuses (a stolen bound token with another key's proof or as
 * bearer, a replayed proof: `dpop-` ids) from the `stolen-dpop-token` and
 * `dpop-proof-replay` faults' findings. Any is a breach. A 5xx, reset or
 * timeout on an attack is a robustness finding reported beside it, not
 * counted here. With a target, only that RS counts; the attribution names
 * each RS and the attacks it accepted.
 */
import { ATTACK_FAULTS, ATTACK_PROBES, attackFindingsOf } from './attack-findings.ts'
import type { IndicatorValue, SloDefinition } from './types.ts'

export const s2: SloDefinition = {
  id: 'S2',
  title: 'attacks accepted per RS (security)',
  objective: 'count==0',
  window: 'run',
  severity: 'critical',
  feeders: { probes: [...ATTACK_PROBES], faults: [...ATTACK_FAULTS] },
  indicator(record, window, target): IndicatorValue {
    const { findings, unattacked } = attackFindingsOf(record, window)
    const fed =
      record.probes.some((p) => (ATTACK_PROBES as readonly string[]).includes(p.probe)) ||
      record.faults.some((f) => (ATTACK_FAULTS as readonly string[]).includes(f.fault))
    if (!fed) return { value: null }
    const breakdown: Record<string, number> = {}
    let total = 0
    let attacked = 0
    for (const o of findings) {
      if (target !== undefined && o.rs !== target) continue
      attacked += 1
      const n = (o.accepted === true ? 1 : 0) + (o.fetchedAttackerUrl === true ? 1 : 0)
      total += n
      breakdown[o.rs] = (breakdown[o.rs] ?? 0) + n
    }
    if (attacked === 0)
      return unattacked.length > 0 ? { value: null, forceFail: unattacked.join('; ') } : { value: null }
    const out: IndicatorValue = { value: total, breakdown }
    if (unattacked.length > 0) out.forceFail = unattacked.join('; ')
    return out
  },
  attribute(record, window, value) {
    if (!value.value && !value.forceFail) return undefined
    const byRs = new Map<string, string[]>()
    for (const o of attackFindingsOf(record, window).findings) {
      const hits = [
        o.accepted === true ? o.attack : undefined,
        o.fetchedAttackerUrl === true ? `${o.attack} (fetched the attacker URL)` : undefined,
      ].filter((x): x is string => x !== undefined)
      if (hits.length > 0) byRs.set(o.rs, [...(byRs.get(o.rs) ?? []), ...hits])
    }
    const parts = [...byRs].map(([rs, hits]) => `${rs} accepted ${hits.join(', ')}`)
    if (parts.length === 0) return value.forceFail
    const all = [...byRs.values()].flat()
    const anchors = [
      ...(all.some((a) => !a.startsWith('dpop-')) ? ['#jwt-attacks'] : []),
      ...(all.some((a) => a.startsWith('dpop-')) ? ['#dpop-binding'] : []),
    ]
    return `hostile tokens got through: ${parts.join('; ')} (see docs/game-days.md${anchors.join(' and ')} for each fix)`
  },
}
