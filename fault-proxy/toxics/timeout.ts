/**
 * timeout — holds the request and answers nothing, then closes the
 * connection, as Toxiproxy's `timeout` toxic does: a JWKS or introspection
 * call that hangs until the client's own timeout fires. `holdMs: 0` holds
 * until the client gives up (bounded by the proxy's maximum hold).
 */
import { Type } from '@sinclair/typebox'
import { defineToxic, hold, type ToxicVerdict } from './types.ts'

export const timeout = defineToxic({
  type: 'timeout',
  summary: 'holds affected requests without answering, then closes the connection',
  params: Type.Object(
    {
      holdMs: Type.Integer({
        minimum: 0,
        maximum: 3_600_000,
        default: 0,
        description:
          'how long to hold before closing, in milliseconds; 0 = until the client gives up (bounded by the proxy max hold)',
      }),
    },
    { additionalProperties: false },
  ),
  async onRequest(ctx, p): Promise<ToxicVerdict> {
    ctx.req.resume()
    await hold(p.holdMs === 0 ? ctx.maxHoldMs : Math.min(p.holdMs, ctx.maxHoldMs), ctx.signal)
    ctx.res.destroy()
    return 'handled'
  },
})
