/**
 * M12 — proof rejections of honest clients: answers that refused an honest
 * client's DPoP proof (`invalid_dpop_proof`, RFC 9449 §5 at the token
 * endpoint, §7.1 at a resource server) over the requests the DPoP flows
 * made (token requests and API calls). Read from the flows'
 * `dpop_proof_rejections` counter; a `use_dpop_nonce` challenge answered by
 * the retry is not a rejection (that is M11). Only the load's own traffic
 * counts: probes and faults send theirs outside the engine.
 *
 * Models the operational DPoP failures: proof `iat` windows that disagree
 * with client clocks (§11.1), `htu` built from an internal URL behind a
 * proxy, a key type the server does not accept. The attribution names the
 * endpoint or RS with the most rejections and, from the RS's
 * `token.rejected` events, the check that refused them.
 */
import type { RunRecord, Series } from '../record/index.ts'
import { dpopFlowNames, faultsDuring, inWindow, pct, seriesOf, topKey } from './data.ts'
import type { IndicatorValue, SloDefinition } from './types.ts'

/** Where a rejection happened: `rs:<name>` for an API call, `token:<grant>` at the token endpoint. */
function placeOf(tags: Record<string, string | undefined>): string {
  return tags.endpoint === 'api' || tags.target !== undefined
    ? `rs:${tags.target ?? '?'}`
    : `token:${tags.grant ?? tags.endpoint ?? '?'}`
}

/** A breakdown key for people: `RS orders`, `the token endpoint (client_credentials)`. */
function placeText(key: string): string {
  return key.startsWith('rs:') ? `RS ${key.slice(3)}` : `the token endpoint (${key.slice(6)})`
}

/** Why the RS said no, from the `dpop_<reason>` of its sampled `token.rejected` events. */
const EXPLAIN: Record<string, string> = {
  dpop_iat:
    'proof iat outside the accepted window: the clients and the server disagree on the time, or its iat window is too narrow (RFC 9449 §11.1)',
  dpop_htu: 'proof htu does not match the URL the server is reached at (a proxy or gateway rewrote it)',
  dpop_htm: 'proof htm does not match the request method',
  dpop_alg: 'proof signed with an algorithm the server does not accept',
  dpop_replay: 'an honest proof was refused as a replay (jti seen before: a retry reused its proof)',
  dpop_ath: 'proof ath does not match the access token sent',
  dpop_jkt: 'proof key is not the key the token is bound to',
  dpop_signature: 'proof signature does not verify',
}

function rsReasons(record: RunRecord, window: [number, number], rs: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const e of record.events) {
    if (e.source !== `rs:${rs}` || e.type !== 'token.rejected' || e.t < window[0] || e.t >= window[1]) continue
    const reason = e.data?.reason
    if (typeof reason === 'string' && reason.startsWith('dpop_')) out[reason] = (out[reason] ?? 0) + 1
  }
  return out
}

export const m12: SloDefinition = {
  id: 'M12',
  title: 'DPoP proof rejections of honest clients',
  objective: 'rate<0.001',
  window: 'run',
  severity: 'major',
  feeders: { flows: ['client-credentials', 'api-call', 'auth-code', 'refresh'], dpop: true },
  indicator(record, window, target, threshold): IndicatorValue {
    const names = dpopFlowNames(record)
    const mine = (tags: Record<string, string | undefined>) =>
      tags.flow !== undefined &&
      names.has(tags.flow) &&
      (target === undefined || (tags.endpoint === 'api' && tags.target === target))
    const requests = seriesOf(record, ['oauth_token', 'rs_request'], target).filter((s: Series) => mine(s.tags))
    let total = 0
    for (const s of requests) for (const b of s.buckets) if (inWindow(b.s, window)) total += b.count
    let bad = 0
    const breakdown: Record<string, number> = {}
    for (const c of record.load.counters) {
      if (c.name !== 'dpop_proof_rejections' || !mine(c.tags)) continue
      let n = 0
      for (const v of c.values) if (inWindow(v.s, window)) n += v.value
      if (n === 0) continue
      bad += n
      const k = placeOf(c.tags)
      breakdown[k] = (breakdown[k] ?? 0) + n
    }
    if (total === 0) return { value: null, good: 0, total: 0, breakdown }
    // a rejection is counted on the answer of a recorded request: never more than the requests
    bad = Math.min(bad, total)
    const value = threshold?.aggregate === 'count' ? bad : bad / total
    return { value, good: total - bad, total, breakdown }
  },
  attribute(record, window, value) {
    const top = topKey(value.breakdown)
    if (!top) return undefined
    const faults = faultsDuring(record, window)
    const during = faults.length ? ` during ${faults.join(', ')}` : ''
    let why = ''
    if (top.key.startsWith('rs:')) {
      const reason = topKey(rsReasons(record, window, top.key.slice(3)))
      if (reason) why = `: ${EXPLAIN[reason.key] ?? `refused as ${reason.key}`} (${reason.key})`
    }
    return `honest DPoP proofs refused at ${placeText(top.key)} (${pct(top.share)} of rejections)${why}${during}`
  },
}
