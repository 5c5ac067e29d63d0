/**
 * token-endpoint-overload — the token endpoint slows down and starts failing,
 * as an AS does when a traffic spike exhausts its workers or its database
 * (the pattern behind several IdP incidents where every client retried at
 * once). Latency and an error ratio are injected through the mock-as control
 * API, or through the fault proxy on the /token path so it works against an
 * external AS (the load must route token traffic through the proxy:
 * `faultProxy: { tokenTraffic: true }`).
 *
 * The spike itself is load, not a fault: express it in the scenario as a
 * `ramping-arrival-rate` flow whose stages climb during the fault window (see
 * scenarios/token-endpoint-overload.yaml). Revert removes latency and errors.
 */
import { Type } from '@sinclair/typebox'
import { injectFailed, once, pathOf, requireAs, requireProxy } from './support.ts'
import { defineFault } from './types.ts'

let counter = 0

export const tokenEndpointOverload = defineFault({
  id: 'token-endpoint-overload',
  summary:
    'Latency and errors on /token (mock-as control or the fault proxy); pair it with a ramping-arrival-rate spike.',
  params: Type.Object(
    {
      via: Type.Union([Type.Literal('as'), Type.Literal('proxy')], {
        default: 'as',
        description: 'inject in mock-as, or in the fault proxy (external AS; needs faultProxy.tokenTraffic)',
      }),
      latencyMs: Type.Integer({ minimum: 0, default: 300, description: 'added latency per token request, ms' }),
      jitterMs: Type.Integer({ minimum: 0, default: 100, description: 'random extra latency up to this, ms' }),
      errorStatus: Type.Integer({ minimum: 400, maximum: 599, default: 503, description: 'status of injected errors' }),
      errorRatio: Type.Number({
        minimum: 0,
        maximum: 1,
        default: 0.1,
        description: 'share of token requests that fail, 0–1',
      }),
      grantType: Type.String({ default: '*', description: "grant type affected (via as), '*' for all" }),
    },
    { additionalProperties: false },
  ),
  defaultDuration: '30s',
  // an AS overloaded on purpose may be too busy to answer its health route: not a crash of the harness's AS
  makesUnavailable: (p) => (p.via === 'as' ? ['as'] : []),
  needs: (p) => (p.via === 'proxy' ? ['fault-proxy'] : ['as-control']),
  async inject(ctx, params) {
    try {
      if (params.via === 'as') {
        const as = requireAs(ctx.targets, 'token-endpoint-overload')
        await as.setTokenLatency({ grantType: params.grantType, fixedMs: params.latencyMs, jitterMs: params.jitterMs })
        await as.setTokenErrors({ grantType: params.grantType, status: params.errorStatus, ratio: params.errorRatio })
        return {
          details: { ...params },
          revert: once(async () => {
            await as.setTokenLatency({ grantType: params.grantType, fixedMs: 0, jitterMs: 0 })
            await as.setTokenErrors({ grantType: params.grantType, status: params.errorStatus, ratio: 0 })
          }),
        }
      }
      const proxy = requireProxy(ctx.targets, 'token-endpoint-overload')
      const pathPrefix = pathOf(ctx.targets.tokenEndpoint)
      const n = ++counter
      const names: string[] = []
      if (params.latencyMs > 0 || params.jitterMs > 0) {
        names.push(
          (
            await proxy.addToxic({
              type: 'latency',
              name: `token-overload-latency-${n}`,
              pathPrefix,
              attributes: { latencyMs: params.latencyMs, jitterMs: params.jitterMs },
            })
          ).name,
        )
      }
      if (params.errorRatio > 0) {
        names.push(
          (
            await proxy.addToxic({
              type: 'error',
              name: `token-overload-error-${n}`,
              pathPrefix,
              toxicity: params.errorRatio,
              attributes: { status: params.errorStatus },
            })
          ).name,
        )
      }
      return {
        details: { ...params, toxics: names, pathPrefix },
        revert: once(async () => {
          for (const name of names) await proxy.removeToxic(name)
        }),
      }
    } catch (err) {
      throw injectFailed('token-endpoint-overload', err)
    }
  },
})
