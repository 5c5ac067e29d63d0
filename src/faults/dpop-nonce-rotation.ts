/**
 * dpop-nonce-rotation — the AS, the resource servers or both start requiring
 * server-provided DPoP nonces and rotate them fast: RFC 9449 §8 (a 400
 * `use_dpop_nonce` with a `DPoP-Nonce` header at the token endpoint) and §9
 * (a 401 `WWW-Authenticate: DPoP error="use_dpop_nonce"` at an RS). Models
 * an operator turning nonces on, or shortening their lifetime, under live
 * traffic. An honest client retries once with the nonce it was given (§8)
 * and keeps the newest nonce each answer carries for its next proof; it
 * still gets its tokens (M1) and its API calls through (M3), at the price of
 * retries that M11 counts per token issued. A nonce lives `nonceLifetime`
 * and the one before it stays valid one more lifetime (mock-as, mock-rs): a
 * lifetime shorter than the time between a client's requests costs a round
 * trip on every request.
 *
 * Only an RS that verifies DPoP (`dpop: verify`) has nonces; others are left
 * alone. Revert restores each component's nonce settings as they were.
 */
import { Type } from '@sinclair/typebox'
import { GamedayError } from '../errors.ts'
import type { RsTarget } from '../runtime/types.ts'
import { Duration } from '../scenario/schema.ts'
import { durationMs } from '../util/duration.ts'
import { injectFailed, once, requireAs, selectRs } from './support.ts'
import { defineFault } from './types.ts'

const ID = 'dpop-nonce-rotation'

interface NonceSettings {
  nonceRequired: boolean
  nonceLifetimeMs: number
}

export const dpopNonceRotation = defineFault({
  id: ID,
  summary: 'The AS and/or the resource servers require DPoP nonces and rotate them every nonceLifetime.',
  params: Type.Object(
    {
      side: Type.Union([Type.Literal('as'), Type.Literal('rs'), Type.Literal('both')], {
        default: 'both',
        description: 'whose nonces rotate: the token endpoint (§8), the resource servers (§9) or both',
      }),
      nonceLifetime: Duration(
        'how long each nonce is handed out (the previous one stays valid one more lifetime)',
        '1s',
      ),
      target: Type.Optional(
        Type.String({ description: 'side rs or both: the resource server name (default: every reference RS)' }),
      ),
    },
    { additionalProperties: false },
  ),
  defaultDuration: '20s',
  needs: (p) => (p.side === 'as' ? ['as-control'] : p.side === 'rs' ? ['rs-control'] : ['as-control', 'rs-control']),
  async inject(ctx, params) {
    const reverts: Array<() => Promise<unknown>> = []
    const revert = once(async () => {
      await Promise.all(reverts.map((r) => r()))
    })
    try {
      const rotation = {
        nonceRequired: true,
        nonceLifetimeMs: Math.max(1, Math.round(durationMs(params.nonceLifetime))),
      }
      const details: Record<string, unknown> = { side: params.side, nonceLifetimeMs: rotation.nonceLifetimeMs }
      if (params.side !== 'rs') {
        const as = requireAs(ctx.targets, ID)
        const before = await as.setDpop({})
        const previous: NonceSettings = { nonceRequired: before.nonceRequired, nonceLifetimeMs: before.nonceLifetimeMs }
        await as.setDpop(rotation)
        reverts.push(() => as.setDpop(previous))
        details.as = previous
      }
      if (params.side !== 'as') {
        const rss = await dpopRss(selectRs(ctx.targets, ID, params.target), params.target !== undefined)
        if (rss.length === 0 && params.side === 'rs')
          throw new GamedayError('ERR_CAPABILITY_MISSING', `${ID}: side rs needs a reference RS that verifies DPoP`, {
            hint: 'use a resource server with profile resilient (dpop: verify), or side: as',
          })
        for (const { rs, previous } of rss) {
          await rs.control!.setDpop(rotation)
          reverts.push(() => rs.control!.setDpop(previous))
        }
        details.rs = Object.fromEntries(rss.map(({ rs, previous }) => [rs.name, previous]))
      }
      return { details, revert }
    } catch (err) {
      await revert().catch(() => {})
      throw injectFailed(ID, err)
    }
  },
})

/** The RSs with a control API that verify DPoP, with their nonce settings; a named RS that cannot is refused. */
async function dpopRss(
  rss: readonly RsTarget[],
  named: boolean,
): Promise<Array<{ rs: RsTarget; previous: NonceSettings }>> {
  const out: Array<{ rs: RsTarget; previous: NonceSettings }> = []
  for (const rs of rss) {
    const dpop = rs.control ? ((await rs.control.state()).dpop as NonceSettings | null) : null
    if (dpop) out.push({ rs, previous: { nonceRequired: dpop.nonceRequired, nonceLifetimeMs: dpop.nonceLifetimeMs } })
    else if (named)
      throw new GamedayError(
        'ERR_CAPABILITY_MISSING',
        `${ID}: resource server ${rs.name} ${rs.control ? 'does not verify DPoP' : 'has no control API'}`,
        { hint: 'name a reference RS whose profile verifies DPoP (dpop: verify), or drop target' },
      )
  }
  return out
}
