/**
 * fail-open — requests a resource server served with 200 while it could not
 * validate the token. RFC 7662 §4 gives an RS that cannot introspect no
 * choice but to refuse; accepting anyway (a "fail-open" fallback added to
 * survive an AS outage) lets any string through as a bearer token. Must be 0:
 * any acceptance is a security breach.
 *
 * Two counts, summed: passive — the RS's own `fail_open.accepted` events and
 * stats (reference RSs), which leave out the probe's own marked requests
 * (`x-gameday-probe`), so nothing is counted twice; active — during the window, the probe sends tokens
 * the AS says are inactive (a random string no AS ever issued) to every RS in
 * introspection mode (or every RS with `allRs`) and counts 200s. Run it while
 * an introspection outage is injected (introspection-rate-limit, jwks-outage).
 */
import { randomBytes } from 'node:crypto'
import { Type } from '@sinclair/typebox'
import { callResource } from '../oauth/client.ts'
import { fetchTransport } from '../oauth/transport.ts'
import { sleep } from '../faults/support.ts'
import { Duration } from '../scenario/schema.ts'
import { registerSecret } from '../util/secrets.ts'
import { deadline } from './support.ts'
import { defineProbe } from './types.ts'

// every request of this probe is deliberate traffic (x-gameday-probe)
const marked = fetchTransport({ probe: 'fail-open' })

/** Fail-open acceptances an RS reports in its stats, when it does, less those of deliberate (probe) traffic. */
export function failOpenFromStats(stats: Record<string, unknown> | undefined): number {
  if (!stats) return 0
  const probe = typeof stats.failOpenProbeAcceptances === 'number' ? stats.failOpenProbeAcceptances : 0
  for (const k of ['failOpenAcceptances', 'failOpenAccepted', 'fail_open_accepted']) {
    const v = stats[k]
    if (typeof v === 'number') return Math.max(0, v - probe)
  }
  const nested = stats.failOpen as Record<string, unknown> | undefined
  return typeof nested?.accepted === 'number' ? nested.accepted : 0
}

export const failOpen = defineProbe({
  id: 'fail-open',
  summary: 'Requests an RS served with 200 while it could not validate the token (must be 0).',
  params: Type.Object(
    {
      timeout: Duration('how long the probe sends inactive tokens', '10s'),
      intervalMs: Type.Integer({
        minimum: 20,
        maximum: 10_000,
        default: 200,
        description: 'pause between two rounds of inactive tokens, ms',
      }),
      allRs: Type.Boolean({
        default: false,
        description: 'also send inactive tokens to RSs in jwt mode (they should answer 401 malformed)',
      }),
    },
    { additionalProperties: false },
  ),
  needs: () => [],
  async run(ctx, params, signal) {
    const limit = deadline(signal, params.timeout)
    const observations: Array<Record<string, unknown>> = []
    const rss = ctx.targets.resourceServers
    const active = new Map<string, number>()
    const sent = new Map<string, number>()
    const activeTargets = rss.filter((r) => params.allRs || r.mode === 'introspection')
    for (let i = 0; i < 100_000 && !limit.signal.aborted && activeTargets.length > 0; i++) {
      const forged = randomBytes(32).toString('base64url')
      registerSecret(forged)
      await Promise.all(
        activeTargets.map(async (rs) => {
          const r = await callResource(rs.apiUrl, forged, limit.signal, marked).catch(() => undefined)
          if (!r) return
          sent.set(rs.name, (sent.get(rs.name) ?? 0) + 1)
          if (r.status === 200) {
            active.set(rs.name, (active.get(rs.name) ?? 0) + 1)
            observations.push({ t: ctx.now(), rs: rs.name, event: 'inactive-token-accepted' })
          }
        }),
      )
      await sleep(params.intervalMs, limit.signal)
    }
    const breakdown: Record<string, number> = {}
    let total = 0
    for (const rs of rss) {
      const events = ctx.events().filter((e) => e.type === 'fail_open.accepted' && e.source === `rs:${rs.name}`).length
      const stats = failOpenFromStats(await rs.control?.stats().catch(() => undefined))
      const passive = Math.max(events, stats)
      const act = active.get(rs.name) ?? 0
      breakdown[`${rs.name}.passive`] = passive
      breakdown[`${rs.name}.active`] = act
      breakdown[`${rs.name}.activeSent`] = sent.get(rs.name) ?? 0
      total += passive + act
    }
    return { name: 'fail-open acceptances', status: 'ok', value: total, unit: 'count', breakdown, observations }
  },
})
