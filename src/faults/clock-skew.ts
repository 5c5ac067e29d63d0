/**
 * clock-skew — the AS's clock or an RS's clock moves by N seconds, in either
 * direction. A fast AS issues tokens whose `nbf`/`iat` lie in the RS's future
 * (`not_yet_valid`); a slow one issues tokens that look expired early. RFC
 * 7519 §4.1.4–4.1.5 allow "some small leeway"; RFC 9068 §4 and most libraries
 * default to zero or 60 s. Models NTP drift after a VM migration or a
 * container host with a broken time sync.
 *
 * Revert sets the offset back to 0.
 */
import { Type } from '@sinclair/typebox'
import { GamedayError } from '../errors.ts'
import { injectFailed, once, requireAs, selectRs } from './support.ts'
import { defineFault } from './types.ts'

export const clockSkew = defineFault({
  id: 'clock-skew',
  summary: "The AS's or a resource server's clock moves by N seconds (either direction).",
  params: Type.Object(
    {
      side: Type.Union([Type.Literal('as'), Type.Literal('rs')], { default: 'as', description: 'whose clock moves' }),
      offsetSeconds: Type.Integer({
        minimum: -86_400,
        maximum: 86_400,
        default: 120,
        description: 'clock offset in seconds; positive = ahead',
      }),
      target: Type.Optional(
        Type.String({ description: 'side rs: the resource server name (default: every reference RS)' }),
      ),
    },
    { additionalProperties: false },
  ),
  defaultDuration: '30s',
  needs: (p) => (p.side === 'rs' ? ['rs-control'] : ['as-control']),
  async inject(ctx, params) {
    try {
      if (params.side === 'as') {
        const as = requireAs(ctx.targets, 'clock-skew')
        await as.setClockOffset(params.offsetSeconds)
        return {
          details: { side: 'as', offsetSeconds: params.offsetSeconds },
          revert: once(() => as.setClockOffset(0)),
        }
      }
      const rss = selectRs(ctx.targets, 'clock-skew', params.target).filter((r) => r.control)
      if (rss.length === 0)
        throw new GamedayError(
          'ERR_CAPABILITY_MISSING',
          'clock-skew: side rs needs a reference resource server with a control API',
        )
      await Promise.all(rss.map((r) => r.control!.setClockOffset(params.offsetSeconds)))
      return {
        details: { side: 'rs', offsetSeconds: params.offsetSeconds, targets: rss.map((r) => r.name) },
        revert: once(async () => {
          await Promise.all(rss.map((r) => r.control!.setClockOffset(0)))
        }),
      }
    } catch (err) {
      throw injectFailed('clock-skew', err)
    }
  },
})
