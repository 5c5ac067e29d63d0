/**
 * dpop-proof-replay — an attacker captures one honest DPoP request (token
 * and proof, e.g. from a TLS-terminating proxy's log) and sends it again
 * while the proof's `iat` is still inside the RS's window. RFC 9449 §11.1
 * asks the RS to keep each proof `jti` for that window and refuse a repeat
 * (§4.3 step 12); without that cache a captured proof is a bearer token for
 * as long as the window lasts.
 *
 * At inject, per RS: the honest client gets a bound token and is served
 * with a fresh proof (the capture; a `use_dpop_nonce` challenge is answered
 * first, so the captured proof carries the RS's nonce). The same token and
 * the same proof are then sent `replays` times; any 2xx is an accepted
 * `dpop-proof-replay` attack in S2, per RS. An RS that refuses the honest
 * request is reported as not attacked. Revert is a no-op.
 */
import { Type } from '@sinclair/typebox'
import {
  type AbuseDetails,
  abuseParams,
  findingOf,
  honestBoundToken,
  newKey,
  record,
  type RsAnswer,
  sendToRs,
} from './dpop-abuse.ts'
import { selectRs } from './support.ts'
import { defineFault } from './types.ts'

const ID = 'dpop-proof-replay'

export const dpopProofReplay = defineFault({
  id: ID,
  summary: "An attacker replays a captured honest request's DPoP proof and token within the proof's iat window.",
  params: Type.Object(
    {
      ...abuseParams,
      replays: Type.Integer({
        minimum: 1,
        maximum: 10,
        default: 2,
        description: 'how many times the captured proof is sent again to each RS (right after the capture)',
      }),
    },
    { additionalProperties: false },
  ),
  defaultDuration: '5s',
  needs: () => [],
  async inject(ctx, params, signal) {
    const details: AbuseDetails = { findings: [], unattacked: [] }
    for (const rs of selectRs(ctx.targets, ID, params.target)) {
      if (signal.aborted) break
      const honest = newKey()
      let token: string
      let captured: string | undefined
      try {
        token = await honestBoundToken(ctx.targets, ID, rs, honest, params.client, signal)
        const check = await sendToRs(
          ID,
          rs,
          { scheme: 'DPoP', token, proof: () => honest.proof('GET', rs.apiUrl, token), session: honest },
          params.requestTimeoutMs,
          signal,
        )
        captured = check.proof
        if (check.status < 200 || check.status >= 300 || !captured) {
          details.unattacked.push(`${rs.name}: the honest DPoP request was refused (status ${check.status})`)
          continue
        }
      } catch (err) {
        if (signal.aborted) break
        details.unattacked.push(`${rs.name}: ${err instanceof Error ? err.message : String(err)}`)
        continue
      }
      const proof = captured
      let first: RsAnswer | undefined
      let through: RsAnswer | undefined
      for (let i = 0; i < params.replays && !signal.aborted; i++) {
        const answer = await sendToRs(
          ID,
          rs,
          { scheme: 'DPoP', token, proof: () => proof },
          params.requestTimeoutMs,
          signal,
        ).catch((): RsAnswer => ({ status: 0 }))
        first ??= answer
        if (answer.status >= 200 && answer.status < 300) through ??= answer
      }
      if (signal.aborted || !first) break
      const f = findingOf(rs, 'dpop-proof-replay', 'the captured proof, sent again', through ?? first, token)
      f.requests = params.replays
      if ((through ?? first).status === 0) f.robustness = 'reset'
      record(ctx, ID, details, f)
    }
    return { details, revert: async () => {} }
  },
})
