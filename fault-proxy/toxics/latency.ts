/**
 * latency — delays each affected request before it goes upstream, as
 * Toxiproxy's `latency` toxic does at the TCP level: a slow AS or JWKS host,
 * a congested link, the token endpoint under a spike. Jitter is uniform in
 * ±jitterMs.
 */
import { Type } from '@sinclair/typebox'
import { defineToxic, hold, type ToxicVerdict } from './types.ts'

export const latency = defineToxic({
  type: 'latency',
  summary: 'delays each affected request by latencyMs ± jitterMs before forwarding it',
  params: Type.Object(
    {
      latencyMs: Type.Number({ minimum: 0, maximum: 600_000, default: 0, description: 'added delay, in milliseconds' }),
      jitterMs: Type.Number({
        minimum: 0,
        maximum: 600_000,
        default: 0,
        description: 'uniform jitter around latencyMs (±), in milliseconds',
      }),
    },
    { additionalProperties: false },
  ),
  async onRequest(ctx, p): Promise<ToxicVerdict> {
    const delay = Math.max(0, p.latencyMs + (ctx.random() * 2 - 1) * p.jitterMs)
    await hold(delay, ctx.signal)
    return 'continue'
  },
})
