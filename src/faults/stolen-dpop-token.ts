/**
 * stolen-dpop-token — an attacker holds a copy of an honest client's
 * DPoP-bound access token (from a log line, a proxy or a memory dump) but
 * not its private key. RFC 9449 §7 makes the token useless without a proof
 * signed by the key its `cnf.jkt` names (§6.1), and §7.2 forbids accepting
 * a bound token under the Bearer scheme: the downgrade a gateway that only
 * knows Bearer makes.
 *
 * At inject, per RS: the honest client gets a bound token (client
 * credentials with its own key's proof) and must be served with it, else
 * the RS is reported as not attacked (an RS refusing everything would pass
 * vacuously). Then the attacker presents the token with a proof of its own
 * key (`dpop-stolen-other-key`) and with no proof as `Bearer`
 * (`dpop-downgrade-bearer`). Each 2xx is an accepted attack in S2, per RS.
 * The fault changes nothing in the stack: revert is a no-op.
 */
import { Type } from '@sinclair/typebox'
import type { AttackFinding } from '../attacks/judge.ts'
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

const ID = 'stolen-dpop-token'

export const stolenDpopToken = defineFault({
  id: ID,
  summary:
    "An attacker presents an honest client's DPoP-bound token with its own key's proof and as a bearer token, at every RS.",
  params: Type.Object(abuseParams, { additionalProperties: false }),
  defaultDuration: '5s',
  needs: () => [],
  async inject(ctx, params, signal) {
    const details: AbuseDetails = { findings: [], unattacked: [] }
    const attacker = newKey()
    for (const rs of selectRs(ctx.targets, ID, params.target)) {
      if (signal.aborted) break
      const honest = newKey()
      let token: string
      try {
        token = await honestBoundToken(ctx.targets, ID, rs, honest, params.client, signal)
        const check = await sendToRs(
          ID,
          rs,
          { scheme: 'DPoP', token, proof: () => honest.proof('GET', rs.apiUrl, token), session: honest },
          params.requestTimeoutMs,
          signal,
        )
        if (check.status < 200 || check.status >= 300) {
          details.unattacked.push(`${rs.name}: the honest DPoP request was refused (status ${check.status})`)
          continue
        }
      } catch (err) {
        if (signal.aborted) break
        details.unattacked.push(`${rs.name}: ${err instanceof Error ? err.message : String(err)}`)
        continue
      }
      const tries: Array<[string, string, () => Promise<RsAnswer>]> = [
        [
          'dpop-stolen-other-key',
          "DPoP scheme, the attacker key's proof",
          () =>
            sendToRs(
              ID,
              rs,
              { scheme: 'DPoP', token, proof: () => attacker.proof('GET', rs.apiUrl, token), session: attacker },
              params.requestTimeoutMs,
              signal,
            ),
        ],
        [
          'dpop-downgrade-bearer',
          'Bearer scheme, no proof',
          () => sendToRs(ID, rs, { scheme: 'Bearer', token }, params.requestTimeoutMs, signal),
        ],
      ]
      for (const [attack, variant, send] of tries) {
        const answer = await send().catch((): RsAnswer => ({ status: 0 }))
        if (signal.aborted) break
        const f: AttackFinding = findingOf(rs, attack, variant, answer, token)
        if (answer.status === 0) f.robustness = 'reset'
        record(ctx, ID, details, f)
      }
    }
    return { details, revert: async () => {} }
  },
})
