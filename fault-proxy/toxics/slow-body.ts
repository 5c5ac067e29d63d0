/**
 * slow-body — trickles the upstream response body to the client at a fixed
 * bandwidth, as Toxiproxy's `bandwidth` toxic: a JWKS download over a
 * saturated link, which a client with a short body timeout gives up on.
 */
import { Transform } from 'node:stream'
import { Type } from '@sinclair/typebox'
import { defineToxic } from './types.ts'

// slices of 1/20 s keep the pace smooth without a timer per byte
const TICKS_PER_SECOND = 20

export const slowBody = defineToxic({
  type: 'slow-body',
  summary: 'sends the response body at bytesPerSecond',
  params: Type.Object(
    {
      bytesPerSecond: Type.Integer({
        minimum: 1,
        maximum: 1_000_000_000,
        default: 1024,
        description: 'bandwidth of the response body, in bytes per second',
      }),
    },
    { additionalProperties: false },
  ),
  onResponseBody(_ctx, p) {
    const slice = Math.max(1, Math.floor(p.bytesPerSecond / TICKS_PER_SECOND))
    let start = 0
    let sent = 0
    return new Transform({
      transform(chunk: Buffer, _enc, done) {
        if (start === 0) start = Date.now()
        let offset = 0
        const next = () => {
          if (this.destroyed) return done()
          if (offset >= chunk.length) return done()
          const piece = chunk.subarray(offset, offset + slice)
          offset += piece.length
          sent += piece.length
          this.push(piece)
          setTimeout(next, Math.max(0, start + (sent / p.bytesPerSecond) * 1000 - Date.now()))
        }
        next()
      },
    })
  },
})
