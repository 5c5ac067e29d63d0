/**
 * jwks-refresh-latency — after a signing-key rotation, how long each resource
 * server takes to accept tokens signed with the new key: from the first token
 * the AS signed with the new kid to the first acceptance of such a token, and
 * from the key's publication to that acceptance. This is the number behind
 * post-rotation 401 storms (RFC 7517 §5 rollover; OpenID Connect Core
 * §10.1.1: RPs must refetch the key set on an unknown kid).
 *
 * The rotation is found from mock-as events (`signing_key.changed`,
 * `key.published`) or, against an external AS, by polling: the probe mints
 * client_credentials tokens every `intervalMs` and watches the kid change.
 * Value: the maximum over RSs in ms. An RS that never accepts before the
 * timeout gets the time waited (a lower bound) in the breakdown; the result
 * is then `timeout` with no headline value.
 */
import { Type } from '@sinclair/typebox'
import { callResource } from '../oauth/client.ts'
import { fetchTransport } from '../oauth/transport.ts'
import { jwtHeader, sleep } from '../faults/support.ts'
import { Duration } from '../scenario/schema.ts'
import { deadline, mintFor, round } from './support.ts'
import { defineProbe } from './types.ts'

// every request of this probe is deliberate traffic (x-gameday-probe)
const marked = fetchTransport({ probe: 'jwks-refresh-latency' })

function kidOf(data: Record<string, unknown> | undefined): string | undefined {
  const v = data?.kid ?? data?.newKid
  return typeof v === 'string' ? v : undefined
}

export const jwksRefreshLatency = defineProbe({
  id: 'jwks-refresh-latency',
  summary:
    'Per RS, time from the first token signed with a new kid (and from its publication) to the first acceptance.',
  params: Type.Object(
    {
      timeout: Duration('how long to wait for the rotation and for every RS to accept', '60s'),
      intervalMs: Type.Integer({
        minimum: 20,
        maximum: 10_000,
        default: 250,
        description: 'pause between two mint-and-call rounds, ms',
      }),
      client: Type.Optional(
        Type.String({ description: 'client_credentials client that mints the tokens (default: the first one)' }),
      ),
      target: Type.Optional(Type.String({ description: 'measure only this RS (default: every RS)' })),
    },
    { additionalProperties: false },
  ),
  needs: () => [],
  async run(ctx, params, signal) {
    const limit = deadline(signal, params.timeout)
    const rss = ctx.targets.resourceServers.filter((r) => params.target === undefined || r.name === params.target)
    const observations: Array<Record<string, unknown>> = []
    const mint = () =>
      mintFor(ctx.targets, 'jwks-refresh-latency', rss[0], {
        ...(params.client ? { clientId: params.client } : {}),
        signal: limit.signal,
      })
    const startedAt = ctx.now()
    let baselineKid: string | undefined
    let newKid: string | undefined
    let firstNewKidAt: number | undefined
    const accepted = new Map<string, number>()
    const rejections = new Map<string, Record<string, number>>()
    try {
      for (let round_ = 0; round_ < 100_000 && !limit.signal.aborted && accepted.size < rss.length; round_++) {
        const t = await mint().catch(() => undefined)
        const kid = t?.access_token ? jwtHeader(t.access_token).kid : undefined
        const now = ctx.now()
        if (kid && !newKid) {
          const changed = ctx
            .events()
            .filter((e) => e.type === 'signing_key.changed' && e.t >= startedAt - 60_000)
            .at(-1)
          const evKid = kidOf(changed?.data)
          if (evKid && evKid === kid) {
            newKid = kid
            firstNewKidAt = Math.max(changed!.t, startedAt)
          } else if (baselineKid === undefined) baselineKid = kid
          else if (kid !== baselineKid) {
            newKid = kid
            firstNewKidAt = now
          }
          if (newKid) observations.push({ t: firstNewKidAt, event: 'new-kid-seen', kid: newKid })
        }
        if (newKid && kid === newKid && t?.access_token) {
          await Promise.all(
            rss
              .filter((rs) => !accepted.has(rs.name))
              .map(async (rs) => {
                const r = await callResource(rs.apiUrl, t.access_token!, limit.signal, marked).catch(() => undefined)
                const at = ctx.now()
                if (r?.status === 200) {
                  accepted.set(rs.name, at)
                  observations.push({ t: at, rs: rs.name, event: 'accepted' })
                } else {
                  const reason = r?.reason ?? (r ? String(r.status) : 'transport')
                  const byReason = rejections.get(rs.name) ?? {}
                  byReason[reason] = (byReason[reason] ?? 0) + 1
                  rejections.set(rs.name, byReason)
                }
              }),
          )
        }
        await sleep(params.intervalMs, limit.signal)
      }
    } catch (err) {
      if (!limit.signal.aborted) throw err
    }
    const end = ctx.now()
    const published = ctx.events().find((e) => e.type === 'key.published' && kidOf(e.data) === newKid)
    const breakdown: Record<string, number | null> = {}
    let max: number | null = null
    for (const rs of rss) {
      const at = accepted.get(rs.name)
      const v = firstNewKidAt === undefined ? null : round((at ?? end) - firstNewKidAt)
      breakdown[rs.name] = v
      if (published && at !== undefined) breakdown[`${rs.name}.fromPublication`] = round(at - published.t)
      if (v !== null) max = Math.max(max ?? 0, v)
      const rej = rejections.get(rs.name)
      if (rej) observations.push({ rs: rs.name, rejectedBeforeAcceptance: rej })
    }
    const complete = newKid !== undefined && accepted.size === rss.length
    return {
      name: 'jwks refresh latency (max over RSs)',
      status: complete ? 'ok' : 'timeout',
      // incomplete: no headline value (the SLO then fails on the timeout); per-RS lower bounds stay in the breakdown
      value: complete ? max : null,
      unit: 'ms',
      breakdown,
      observations,
      ...(newKid === undefined
        ? { error: 'no key rotation seen before the timeout' }
        : complete
          ? {}
          : {
              error: `not accepted by ${rss
                .filter((r) => !accepted.has(r.name))
                .map((r) => r.name)
                .join(', ')} before the timeout`,
            }),
    }
  },
})
