/**
 * introspection-rate-limit — the introspection endpoint (RFC 7662) answers
 * 429 with Retry-After once resource servers exceed a token-bucket rate.
 * Models the AS-side throttling that turns into an outage when every RS
 * introspects every request without caching, and the insecure reaction of
 * accepting the token anyway (fail-open) — RFC 7662 §4 leaves the RS no
 * choice but to treat an unverifiable token as invalid.
 *
 * `via: as` uses the mock-as control API; `via: proxy` puts a rate-limit toxic
 * on the introspection path in the fault proxy, so it also works against an
 * external AS. Revert lifts the limit.
 */
import { Type } from '@sinclair/typebox'
import { injectFailed, once, pathOf, requireAs, requireProxy } from './support.ts'
import { defineFault } from './types.ts'

let counter = 0

export const introspectionRateLimit = defineFault({
  id: 'introspection-rate-limit',
  summary: 'Introspection answers 429 with Retry-After above a token-bucket rate (mock-as or the fault proxy).',
  params: Type.Object(
    {
      via: Type.Union([Type.Literal('as'), Type.Literal('proxy')], {
        default: 'as',
        description: 'apply the limit in mock-as, or in the fault proxy (works against an external AS)',
      }),
      ratePerSecond: Type.Number({
        minimum: 0.01,
        default: 5,
        description: 'sustained introspections per second allowed',
      }),
      burst: Type.Integer({ minimum: 1, default: 5, description: 'token-bucket burst' }),
      pathPrefix: Type.Optional(
        Type.String({ description: 'via proxy: path affected (default: the path of the introspection endpoint)' }),
      ),
    },
    { additionalProperties: false },
  ),
  defaultDuration: '30s',
  needs: (p) => (p.via === 'proxy' ? ['fault-proxy'] : ['as-control']),
  async inject(ctx, params) {
    try {
      if (params.via === 'as') {
        const as = requireAs(ctx.targets, 'introspection-rate-limit')
        await as.setIntrospectionRateLimit({ rate: params.ratePerSecond, burst: params.burst })
        return {
          details: { via: 'as', ratePerSecond: params.ratePerSecond, burst: params.burst },
          revert: once(() => as.setIntrospectionRateLimit(null)),
        }
      }
      const proxy = requireProxy(ctx.targets, 'introspection-rate-limit')
      const endpoint = ctx.targets.introspectionEndpoint
      const pathPrefix = params.pathPrefix ?? (endpoint ? pathOf(endpoint) : '/introspect')
      const { name } = await proxy.addToxic({
        type: 'rate-limit',
        name: `introspection-rate-limit-${++counter}`,
        pathPrefix,
        attributes: { rate: params.ratePerSecond, burst: params.burst },
      })
      return {
        details: { via: 'proxy', toxic: name, pathPrefix, ratePerSecond: params.ratePerSecond, burst: params.burst },
        revert: once(() => proxy.removeToxic(name)),
      }
    } catch (err) {
      throw injectFailed('introspection-rate-limit', err)
    }
  },
})
