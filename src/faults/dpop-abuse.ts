/**
 * What the DPoP abuse faults (`stolen-dpop-token`, `dpop-proof-replay`)
 * share: an honest client's DPoP-bound token for one RS (RFC 9449 §5, the
 * client_credentials grant with the honest key's proof), one request to the
 * RS with a chosen `Authorization` and `DPoP` header (a `use_dpop_nonce`
 * challenge, §9, answered once), and the finding S2 counts. All traffic is
 * deliberate: it carries `x-gameday-probe: <fault id>`.
 */
import { Type } from '@sinclair/typebox'
import type { AttackFinding } from '../attacks/judge.ts'
import { parseBearerChallenge } from '../oauth/bearer-challenge.ts'
import { clientCredentials } from '../oauth/client.ts'
import { DpopSession, dpopTransport, nonceChallenge } from '../oauth/dpop-client.ts'
import { fetchTransport, headerOf, type OAuthResponse } from '../oauth/transport.ts'
import type { RsTarget, Targets } from '../runtime/types.ts'
import { assertLoopbackUrl } from '../util/loopback.ts'
import { registerSecret, shortHash } from '../util/secrets.ts'
import { endpointsOf, pickClient } from './support.ts'
import type { FaultContext } from './types.ts'

/** Params both faults take. */
export const abuseParams = {
  target: Type.Optional(Type.String({ description: 'attack only this resource server (default: every RS)' })),
  client: Type.Optional(
    Type.String({
      description: 'the honest client whose bound token is taken (default: the first client_credentials client)',
    }),
  ),
  requestTimeoutMs: Type.Integer({
    minimum: 100,
    maximum: 30_000,
    default: 3000,
    description: 'per-request timeout, ms',
  }),
}

/** What the fault window's `details` holds: one finding per RS and attack, and the RSs it could not attack. */
export interface AbuseDetails extends Record<string, unknown> {
  findings: AttackFinding[]
  unattacked: string[]
}

/** An RS answer, reduced to what a finding keeps. */
export interface RsAnswer {
  status: number
  challenge?: string
}

/**
 * An honest client's DPoP-bound access token for `rs` (its scope, its
 * audience as RFC 8707 resource), bound to `session`'s key.
 */
export async function honestBoundToken(
  targets: Targets,
  unit: string,
  rs: RsTarget,
  session: DpopSession,
  clientId: string | undefined,
  signal: AbortSignal,
): Promise<string> {
  const client = pickClient(targets, unit, 'client_credentials', clientId)
  const ep = endpointsOf(targets, unit)
  ep.transport = dpopTransport(fetchTransport({ probe: unit }), session)
  const r = await clientCredentials(ep, client, { scope: rs.scope, resource: rs.audience, signal })
  if (!r.ok || !r.access_token) throw new Error(`no bound token for ${rs.name} (${r.error ?? `status ${r.status}`})`)
  if (r.token_type?.toLowerCase() !== 'dpop')
    throw new Error(`the AS issued a ${r.token_type ?? 'untyped'} token, not a DPoP-bound one, for ${rs.name}`)
  registerSecret(r.access_token)
  return r.access_token
}

/**
 * Send one GET to `rs` with `scheme token` and the proof `proof()` makes
 * (none when it returns undefined); a `use_dpop_nonce` challenge is retried
 * once with the nonce kept by `session`.
 */
export async function sendToRs(
  unit: string,
  rs: RsTarget,
  headers: { scheme: 'Bearer' | 'DPoP'; token: string; proof?: () => string | undefined; session?: DpopSession },
  timeoutMs: number,
  signal: AbortSignal,
): Promise<RsAnswer & { proof?: string }> {
  assertLoopbackUrl(rs.apiUrl, `${unit}: resource server ${rs.name}`, rs.external)
  const transport = fetchTransport({ probe: unit })
  const once = async (): Promise<{ res: OAuthResponse; proof?: string }> => {
    const proof = headers.proof?.()
    const res = await transport({
      url: rs.apiUrl,
      method: 'GET',
      headers: { authorization: `${headers.scheme} ${headers.token}`, ...(proof ? { dpop: proof } : {}) },
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    })
    headers.session?.observe(rs.apiUrl, res.headers)
    return proof ? { res, proof } : { res }
  }
  let sent = await once()
  if (headers.session && nonceChallenge(sent.res.status, sent.res.headers, sent.res.body) !== undefined)
    sent = await once()
  const challenge = parseBearerChallenge(headerOf(sent.res, 'www-authenticate') ?? null).error
  return {
    status: sent.res.status,
    ...(challenge ? { challenge } : {}),
    ...(sent.proof ? { proof: sent.proof } : {}),
  }
}

/** The finding of one attack request against one RS (accepted: a 2xx). */
export function findingOf(
  rs: RsTarget,
  attack: string,
  variant: string,
  answer: RsAnswer,
  token: string,
): AttackFinding {
  const accepted = answer.status >= 200 && answer.status < 300
  return {
    rs: rs.name,
    attack,
    applicable: true,
    accepted,
    status: answer.status,
    ...(answer.challenge ? { challenge: answer.challenge } : {}),
    ...(accepted ? { variant } : {}),
    ...(answer.status >= 500 ? { robustness: 'server_error' as const } : {}),
    requests: 1,
    tokenHashes: [shortHash(token)],
  }
}

/** Record a finding: into `details`, and an `attack.accepted` event when it got through. */
export function record(ctx: FaultContext, unit: string, details: AbuseDetails, f: AttackFinding): void {
  details.findings.push(f)
  if (f.accepted) ctx.emit('attack.accepted', { rs: f.rs, attack: f.attack, status: f.status, fault: unit })
}

/** A fresh DPoP key for a client (honest or attacker). */
export const newKey = (): DpopSession => DpopSession.generate('ES256')
