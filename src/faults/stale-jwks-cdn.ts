/**
 * stale-jwks-cdn — the AS rotates correctly, but a CDN in front of the JWKS
 * keeps serving the old key set: a forced TTL that ignores the origin's
 * Cache-Control, `stale-while-revalidate` (RFC 5861 §3) that hands out the old
 * set once more, or a purge that takes time to propagate. Resource servers
 * that refetch on an unknown kid still get the stale set and reject tokens
 * signed with the new key — the failure mode behind several public
 * post-rotation outages where "the JWKS was right at the origin".
 *
 * The fault warms the CDN with the current set, reconfigures it, rotates with
 * `publish-then-sign` and a lead time shorter than the forced TTL, and for
 * `delayed-purge` asks for a purge that only lands after `purgeDelay`.
 * Revert resets the CDN: its configured settings come back and the stale
 * entry is dropped.
 */
import { Type } from '@sinclair/typebox'
import { Duration } from '../scenario/schema.ts'
import { injectFailed, once, requireAs, requireCdn } from './support.ts'
import { defineFault } from './types.ts'
import { fetchTransport } from '../oauth/transport.ts'

export const staleJwksCdn = defineFault({
  id: 'stale-jwks-cdn',
  summary:
    'The AS rotates its key while the JWKS CDN keeps serving the old key set (forced TTL, stale-while-revalidate, delayed purge).',
  params: Type.Object(
    {
      strategy: Type.Union(
        [Type.Literal('forced-ttl'), Type.Literal('stale-while-revalidate'), Type.Literal('delayed-purge')],
        {
          default: 'forced-ttl',
          description: 'how the CDN stays stale',
        },
      ),
      ttl: Duration('forced cache TTL on the JWKS during the fault', '60s'),
      staleWhileRevalidate: Duration('stale-while-revalidate window (strategy stale-while-revalidate)', '30s'),
      purgeDelay: Duration('time a purge takes to take effect (strategy delayed-purge)', '20s'),
      leadTime: Duration(
        'time between publishing the new key and signing with it; shorter than ttl makes the fault bite',
        '2s',
      ),
    },
    { additionalProperties: false },
  ),
  defaultDuration: '45s',
  needs: () => ['as-control', 'cdn'],
  async inject(ctx, params) {
    const as = requireAs(ctx.targets, 'stale-jwks-cdn')
    const cdn = requireCdn(ctx.targets, 'stale-jwks-cdn')
    let rotation: Awaited<ReturnType<typeof as.rotate>>
    let purge: { effectiveAt: number } | undefined
    try {
      await cdn.configure({
        ttl: params.ttl,
        staleWhileRevalidate: params.strategy === 'stale-while-revalidate' ? params.staleWhileRevalidate : '0s',
        purgeDelay: '0s',
      })
      // drop whatever the CDN held, then warm it with the pre-rotation set: the old keys now live for a full ttl
      await cdn.purge()
      await fetchTransport({ probe: 'stale-jwks-cdn' })({ url: ctx.targets.rsJwksUri, method: 'GET', headers: {} })
      if (params.strategy === 'delayed-purge') await cdn.configure({ purgeDelay: params.purgeDelay })
      rotation = await as.rotate({ mode: 'publish-then-sign', leadTime: params.leadTime, retireAfter: '10m' })
      if (params.strategy === 'delayed-purge') purge = await cdn.purge()
    } catch (err) {
      throw injectFailed('stale-jwks-cdn', err)
    }
    const stats = await cdn.stats().catch(() => undefined)
    return {
      details: {
        strategy: params.strategy,
        ...rotation,
        ...(purge ? { purgeEffectiveAt: purge.effectiveAt } : {}),
        cdnAgeSeconds: stats?.lastAgeSeconds ?? null,
      },
      // reset restores the CDN's configured settings and drops the cached (stale) set
      revert: once(() => cdn.reset()),
    }
  },
})
