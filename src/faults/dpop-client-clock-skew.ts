/**
 * dpop-client-clock-skew — the load's clients' clocks move by `offset` for
 * the fault's window, so every DPoP proof they sign carries an `iat` that
 * far off (RFC 9449 §4.2). A server accepts a proof only while its `iat`
 * lies within a window around its own clock (§4.3 step 11, §11.1: "within a
 * reasonable window"); FAPI 2.0 asks for at most 60 s in the past and 10 s
 * in the future, the windows mock-as and the resilient mock-rs keep. A
 * client 30 s behind is inside those and outside a 5 s window (the
 * `dpop-strict-clock` profile): its honest proofs are refused with
 * `invalid_dpop_proof`, counted in M12. Models phones, containers and VMs
 * whose time sync drifted, which DPoP makes visible where bearer tokens
 * never cared about the client's clock.
 *
 * Only the proofs move: the server clocks, the tokens the AS issues and the
 * client assertions of private_key_jwt keep the wall clock. The fault talks
 * to the running load engine (the embedded engine; k6 has no channel into
 * its running VUs). Revert sets the offset back to 0.
 */
import { Type } from '@sinclair/typebox'
import { GamedayError } from '../errors.ts'
import { parseDuration } from '../util/duration.ts'
import { once } from './support.ts'
import { defineFault } from './types.ts'

const ID = 'dpop-client-clock-skew'
/** The largest offset accepted, either way. */
const MAX_OFFSET_SECONDS = 86_400

/**
 * A signed duration in seconds: `+20s`, `-90s`, `1m`, `-1500ms`.
 *
 * @example offsetSeconds('-90s') // -90
 */
export function offsetSeconds(value: string): number {
  const m = /^([+-]?)(.+)$/.exec(value.trim())
  const ms = m ? parseDuration(m[2]!) : undefined
  if (!m || ms === undefined)
    throw new GamedayError(
      'ERR_SCENARIO_INVALID',
      `${ID}: offset must be a signed duration (got ${JSON.stringify(value)})`,
      {
        hint: "for example '-30s' (clients behind) or '+20s' (ahead)",
      },
    )
  return (m[1] === '-' ? -ms : ms) / 1000
}

export const dpopClientClockSkew = defineFault({
  id: ID,
  summary: "The load's clients' clocks move by an offset, so their DPoP proofs carry an iat that far off.",
  params: Type.Object(
    {
      offset: Type.String({
        pattern: '^[+-]?(\\d+(\\.\\d+)?(ms|s|m|h))+$',
        default: '-30s',
        description:
          "how far the clients' clocks move, signed: '-30s' (behind: proofs look old), '+20s' (ahead: proofs look early); at most 24h",
      }),
    },
    { additionalProperties: false },
  ),
  defaultDuration: '20s',
  needs: () => ['load-control'],
  async inject(ctx, params) {
    const seconds = offsetSeconds(params.offset)
    if (Math.abs(seconds) > MAX_OFFSET_SECONDS)
      throw new GamedayError(
        'ERR_SCENARIO_INVALID',
        `${ID}: offset must be at most 24h either way (got ${params.offset})`,
      )
    const load = ctx.load
    if (!load)
      throw new GamedayError(
        'ERR_CAPABILITY_MISSING',
        `${ID}: needs a running load engine that can move its clients' clock`,
        {
          hint: 'run with the embedded engine (the default): k6 has no channel into its running VUs',
        },
      )
    await load.setClientClockOffset(seconds)
    return {
      details: { offsetSeconds: seconds },
      revert: once(() => load.setClientClockOffset(0)),
    }
  },
})
