/**
 * revocation-propagation — per resource server, the time from a successful
 * revocation (RFC 7009) to the first rejection of the revoked token, and how
 * many requests the RS served with it meanwhile. An introspecting RS with no
 * cache rejects at once; a long introspection cache, or local JWT validation
 * (RFC 7009 §2: self-contained tokens stay valid until `exp`), keeps serving
 * — the gap RFC 6819 §5.1.5.9 warns about.
 *
 * Per RS: mint a token, confirm it is accepted (which also primes any cache),
 * revoke it at /revoke, then poll the RS every `intervalMs` until it answers
 * 401. Value: the maximum over RSs in ms; an RS that never rejects before the
 * timeout gets the time waited in the breakdown; the result is then
 * `timeout` with no headline value.
 */
import { Type } from '@sinclair/typebox'
import { GamedayError } from '../errors.ts'
import { callResource, revokeToken } from '../oauth/client.ts'
import { endpointsOf, pickClient, sleep } from '../faults/support.ts'
import { Duration } from '../scenario/schema.ts'
import { deadline, mintFor, round } from './support.ts'
import { defineProbe } from './types.ts'

export const revocationPropagation = defineProbe({
  id: 'revocation-propagation',
  summary:
    'Per RS, time from a successful revocation to the first rejection of the revoked token, and requests served meanwhile.',
  params: Type.Object(
    {
      timeout: Duration('how long to wait for every RS to reject', '30s'),
      intervalMs: Type.Integer({
        minimum: 20,
        maximum: 10_000,
        default: 100,
        description: 'pause between two calls with the revoked token, ms',
      }),
      client: Type.String({ default: 'svc', description: 'confidential client that mints and revokes the token' }),
      target: Type.Optional(Type.String({ description: 'measure only this RS (default: every RS)' })),
    },
    { additionalProperties: false },
  ),
  needs: () => [],
  async run(ctx, params, signal) {
    const limit = deadline(signal, params.timeout)
    const ep = endpointsOf(ctx.targets, 'revocation-propagation')
    const client = pickClient(ctx.targets, 'revocation-propagation', 'client_credentials', params.client)
    const rss = ctx.targets.resourceServers.filter((r) => params.target === undefined || r.name === params.target)
    const observations: Array<Record<string, unknown>> = []
    const breakdown: Record<string, number | null> = {}
    let max: number | null = null
    let incomplete = 0
    await Promise.all(
      rss.map(async (rs) => {
        const t = await mintFor(ctx.targets, 'revocation-propagation', rs, {
          clientId: params.client,
          signal: limit.signal,
        })
        if (!t.access_token)
          throw new GamedayError(
            'ERR_PROBE_FAILED',
            `revocation-propagation: token request failed (${t.error ?? t.status})`,
          )
        const before = await callResource(rs.apiUrl, t.access_token, limit.signal, ep.transport)
        observations.push({ t: ctx.now(), rs: rs.name, event: 'accepted-before', status: before.status })
        if (before.status !== 200) {
          breakdown[rs.name] = null
          incomplete++
          return
        }
        const status = await revokeToken(ep, client, t.access_token, 'access_token', limit.signal)
        const revokedAt = ctx.now()
        observations.push({ t: revokedAt, rs: rs.name, event: 'revoked', status })
        let served = 0
        let rejectedAt: number | undefined
        for (let i = 0; i < 100_000 && !limit.signal.aborted; i++) {
          const r = await callResource(rs.apiUrl, t.access_token, limit.signal, ep.transport).catch(() => undefined)
          if (r?.status === 200) served++
          else if (r?.status === 401) {
            rejectedAt = ctx.now()
            observations.push({ t: rejectedAt, rs: rs.name, event: 'rejected', reason: r.reason ?? null })
            break
          }
          await sleep(params.intervalMs, limit.signal)
        }
        const v = round((rejectedAt ?? ctx.now()) - revokedAt)
        if (rejectedAt === undefined) incomplete++
        breakdown[rs.name] = v
        breakdown[`${rs.name}.servedAfterRevocation`] = served
        max = Math.max(max ?? 0, v)
      }),
    ).catch((err) => {
      if (!limit.signal.aborted) throw err
    })
    return {
      name: 'revocation propagation (max over RSs)',
      status: incomplete === 0 ? 'ok' : 'timeout',
      // incomplete: no headline value (the SLO then fails on the timeout); per-RS lower bounds stay in the breakdown
      value: incomplete === 0 ? max : null,
      unit: 'ms',
      breakdown,
      observations,
      ...(incomplete ? { error: `${incomplete} RS(s) did not reject the revoked token before the timeout` } : {}),
    }
  },
})
