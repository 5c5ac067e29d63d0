/**
 * jwks-outage — the JWKS endpoint answers 5xx or never answers, seen from the
 * resource servers through the fault proxy. Models a key-set host outage (the
 * 2021 incidents where an IdP's JWKS CDN failed and every RS without a cached
 * key set rejected all traffic) and checks RFC 8725 §3 practice: keep using
 * the last good key set (stale-if-error) and fail closed with 503, not 401.
 *
 * A toxic on the proxy limited to the JWKS path; revert removes it.
 */
import { Type } from '@sinclair/typebox'
import { injectFailed, once, pathOf, requireProxy } from './support.ts'
import { defineFault } from './types.ts'

let counter = 0

export const jwksOutage = defineFault({
  id: 'jwks-outage',
  summary: 'The JWKS endpoint answers 5xx or times out (through the fault proxy).',
  params: Type.Object(
    {
      mode: Type.Union([Type.Literal('error'), Type.Literal('timeout')], {
        default: 'error',
        description: 'answer with an error status, or hold the request and answer nothing',
      }),
      status: Type.Integer({ minimum: 500, maximum: 599, default: 503, description: 'HTTP status of mode error' }),
      toxicity: Type.Number({
        minimum: 0,
        maximum: 1,
        default: 1,
        description: 'share of JWKS requests affected, 0–1',
      }),
      pathPrefix: Type.Optional(Type.String({ description: 'path affected (default: the path of the AS jwks_uri)' })),
    },
    { additionalProperties: false },
  ),
  defaultDuration: '30s',
  needs: () => ['fault-proxy'],
  async inject(ctx, params) {
    const proxy = requireProxy(ctx.targets, 'jwks-outage')
    const pathPrefix = params.pathPrefix ?? pathOf(ctx.targets.jwksUri)
    let name: string
    try {
      ;({ name } = await proxy.addToxic({
        type: params.mode,
        name: `jwks-outage-${++counter}`,
        pathPrefix,
        toxicity: params.toxicity,
        ...(params.mode === 'error' ? { attributes: { status: params.status } } : {}),
      }))
    } catch (err) {
      throw injectFailed('jwks-outage', err)
    }
    return {
      details: { toxic: name, pathPrefix, mode: params.mode },
      revert: once(() => proxy.removeToxic(name)),
    }
  },
})
