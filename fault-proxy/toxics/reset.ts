/**
 * reset — destroys the client connection (TCP RST where the platform allows)
 * instead of answering, as Toxiproxy's `reset_peer`: a load balancer
 * dropping connections, an AS process crashing mid-request.
 */
import type { Socket } from 'node:net'
import { Type } from '@sinclair/typebox'
import { defineToxic, hold, type ToxicVerdict } from './types.ts'

export const reset = defineToxic({
  type: 'reset',
  summary: 'resets the client connection instead of answering',
  params: Type.Object(
    {
      delayMs: Type.Integer({
        minimum: 0,
        maximum: 600_000,
        default: 0,
        description: 'time before the reset, in milliseconds',
      }),
    },
    { additionalProperties: false },
  ),
  async onRequest(ctx, p): Promise<ToxicVerdict> {
    await hold(p.delayMs, ctx.signal)
    const socket = ctx.req.socket as Socket & { resetAndDestroy?: () => void }
    if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy()
    else socket.destroy()
    return 'handled'
  },
})
