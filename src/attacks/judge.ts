/**
 * Sending one attack's requests to one resource server and judging the
 * answers: an attack is accepted when any request got a 2xx; a 5xx, a reset
 * or a timeout is a robustness finding beside it (never an acceptance, never
 * a harness crash). Every request carries `x-gameday-probe` so reference
 * components count it as probe traffic (DESIGN.md's decisions).
 */
import { parseBearerChallenge } from '../oauth/bearer-challenge.ts'
import { fetchTransport, headerOf } from '../oauth/transport.ts'
import { registerSecret, shortHash } from '../util/secrets.ts'
import type { AttackDefinition, AttackKit, AttackRequest } from './types.ts'

/** One finding per RS and attack, as run.json records it. */
export interface AttackFinding {
  rs: string
  attack: string
  applicable: boolean
  /** Some request of the attack got a 2xx. */
  accepted: boolean
  /** Status of the first accepted request, else of the last one; 0 for a transport failure. */
  status: number
  /** `error` of the Bearer challenge (invalid_token, insufficient_scope, invalid_request). */
  challenge?: string
  /** The variant that got through, when one did. */
  variant?: string
  requests?: number
  /** The attacker's key URL was fetched during the attack (jku, x5u). */
  fetchedAttackerUrl?: boolean
  /** Key-set fetches the RS made during the attack (unknown-kid-flood). */
  refetches?: number
  /** 5xx, reset or timeout: reported, not counted in S2. */
  robustness?: 'server_error' | 'reset' | 'timeout'
  /** Why not applicable, or what was off about a refusal (401 where 403 is due). */
  reason?: string
  /** Short hashes of the tokens sent (never the tokens). */
  tokenHashes?: string[]
}

interface Answer {
  status: number
  challenge?: string
  failure?: 'reset' | 'timeout'
}

async function send(
  url: string,
  req: AttackRequest,
  probeId: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<Answer> {
  const headers: Record<string, string> = {}
  let target = url
  if (req.via === 'query') {
    const u = new URL(url)
    u.searchParams.set('access_token', req.token)
    target = u.toString()
  } else {
    headers.authorization = `Bearer ${req.token}`
  }
  const timer = AbortSignal.timeout(timeoutMs)
  try {
    const res = await fetchTransport({ probe: probeId })({
      url: target,
      method: 'GET',
      headers,
      signal: AbortSignal.any([signal, timer]),
    })
    const ch = parseBearerChallenge(headerOf(res, 'www-authenticate') ?? null)
    return ch.error === undefined ? { status: res.status } : { status: res.status, challenge: ch.error }
  } catch {
    if (signal.aborted) throw signal.reason ?? new Error('aborted')
    return { status: 0, failure: timer.aborted ? 'timeout' : 'reset' }
  }
}

/**
 * Build one attack for one RS, send it and judge it.
 *
 * @example
 * ```ts
 * const finding = await runAttack(attacks['alg-none'], kit, { probeId: 'jwt-attacks', timeoutMs: 2000, signal })
 * finding.accepted // false on a correct RS
 * ```
 */
export async function runAttack(
  attack: AttackDefinition,
  kit: AttackKit,
  opts: { probeId: string; timeoutMs: number; signal: AbortSignal },
): Promise<AttackFinding> {
  const base = { rs: kit.rs.name, attack: attack.id }
  const plan = await attack.build(kit)
  if (!plan.applicable) return { ...base, applicable: false, accepted: false, status: 0, reason: plan.reason }
  for (const r of plan.requests) registerSecret(r.token)
  const fetchesBefore = kit.attacker.fetches()
  const refetchesBefore = plan.countsRefetches ? await kit.jwksFetches?.() : undefined
  let last: Answer = { status: 0 }
  let accepted: { answer: Answer; variant: string } | undefined
  let robustness: AttackFinding['robustness']
  let wrongRefusal: string | undefined
  for (const req of plan.requests) {
    const a = await send(kit.rs.apiUrl, req, opts.probeId, opts.timeoutMs, opts.signal)
    last = a
    if (a.failure) robustness ??= a.failure
    else if (a.status >= 500) robustness ??= 'server_error'
    if (a.status >= 200 && a.status < 300) accepted ??= { answer: a, variant: req.variant }
    else if (
      plan.want === 403 &&
      a.status !== 0 &&
      a.status < 500 &&
      (a.status !== 403 || a.challenge !== 'insufficient_scope')
    ) {
      wrongRefusal ??= `${req.variant}: answered ${a.status}${a.challenge ? ` ${a.challenge}` : ''}, RFC 6750 §3.1 wants 403 insufficient_scope`
    }
  }
  const finding: AttackFinding = {
    ...base,
    applicable: true,
    accepted: accepted !== undefined,
    status: (accepted?.answer ?? last).status,
    requests: plan.requests.length,
    tokenHashes: plan.requests.slice(0, 5).map((r) => shortHash(r.token)),
  }
  const challenge = (accepted?.answer ?? last).challenge
  if (challenge) finding.challenge = challenge
  if (accepted) finding.variant = accepted.variant
  if (robustness) finding.robustness = robustness
  if (wrongRefusal && !accepted) finding.reason = wrongRefusal
  if (plan.watchesAttackerUrl) finding.fetchedAttackerUrl = kit.attacker.fetches() > fetchesBefore
  if (plan.countsRefetches && refetchesBefore !== undefined) {
    const after = await kit.jwksFetches?.()
    if (after !== undefined) finding.refetches = after - refetchesBefore
  }
  return finding
}
