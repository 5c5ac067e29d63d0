/**
 * M11 — DPoP nonce retries per token: the requests honest DPoP clients had
 * to send again with a server nonce (a 400 `use_dpop_nonce` at the token
 * endpoint, RFC 9449 §8, or a 401 DPoP challenge at an RS, §9) over the
 * tokens those clients were issued. One retry per token is the price of a
 * nonce the client has not seen yet; more means nonces rotate faster than
 * clients use them, and every request pays a round trip.
 *
 * Reads the flows' `dpop_nonce_retries` counter and the successful
 * `oauth_token` requests of the flows that run with `dpop: true`; probe and
 * fault requests are never in the load's figures. Retries in a window where
 * no token was issued count per one token (the tokens in use were issued
 * before it).
 */
import type { Series } from '../record/index.ts'
import { dpopFlowNames, faultsDuring, inWindow, pct, seriesOf, topKey } from './data.ts'
import type { SloDefinition } from './types.ts'

export const m11: SloDefinition = {
  id: 'M11',
  title: 'DPoP nonce retries per token',
  objective: 'avg<=1',
  unit: 'retries per token',
  window: 'run',
  severity: 'minor',
  feeders: { flows: ['client-credentials', 'api-call', 'auth-code', 'refresh'], dpop: true },
  indicator(record, window) {
    const flows = dpopFlowNames(record)
    if (flows.size === 0) return { value: null, total: 0 }
    let retries = 0
    const breakdown: Record<string, number> = {}
    for (const c of record.load.counters) {
      if (c.name !== 'dpop_nonce_retries') continue
      let n = 0
      for (const v of c.values) if (inWindow(v.s, window)) n += v.value
      if (n === 0) continue
      retries += n
      const where = c.tags.endpoint === 'api' ? `${c.tags.target ?? 'the RS'}` : `the token endpoint`
      const key = `${c.tags.flow ?? 'a flow'} at ${where}`
      breakdown[key] = (breakdown[key] ?? 0) + n
    }
    const tokens = issued(
      seriesOf(record, ['oauth_token']).filter((s) => flows.has(s.tags.flow)),
      window,
    )
    if (tokens === 0 && retries === 0) return { value: null, total: 0 }
    return { value: retries / Math.max(1, tokens), good: tokens, total: tokens, breakdown }
  },
  attribute(record, window, value) {
    const top = topKey(value.breakdown)
    if (!top || value.value === null) return undefined
    const retries = Object.values(value.breakdown ?? {}).reduce((a, b) => a + b, 0)
    const faults = faultsDuring(record, window)
    const during = faults.length ? ` during ${faults.join(', ')}` : ''
    return `most nonce retries: ${top.key} (${pct(top.share)} of ${retries} retries for ${value.total ?? 0} tokens)${during}: nonces rotate faster than clients send requests`
  },
}

/** Successful requests of the series in the window. */
function issued(series: readonly Series[], window: [number, number]): number {
  let n = 0
  for (const s of series) if (!s.failed) for (const b of s.buckets) if (inWindow(b.s, window)) n += b.count
  return n
}
