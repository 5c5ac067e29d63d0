/**
 * jwt-attacks — the JWT attack catalog (src/attacks: RFC 8725 §3, RFC 9068
 * §4, RFC 9700) against every resource server of the stack, reference
 * profiles and external RSs alike: alg none, HS256 key confusion, tampered
 * and stripped signatures, embedded keys, jku/x5u key URLs (an attacker key
 * server on loopback), kid injection, an unknown-kid flood, wrong issuer and
 * audience (F5), expired / not-yet-valid / no-exp tokens, typ confusion,
 * scope escalation (F5), query-string tokens, refresh tokens as access
 * tokens and a 100 kB token.
 *
 * One finding per RS and attack goes into the observations; the value is
 * the number of accepted attacks plus attacker-URL fetches over all RSs
 * (S2), the breakdown has it per RS. Before attacking, each RS must accept
 * an honest token: an RS that refuses everything would pass vacuously, so
 * it is reported as the probe failing for that RS instead.
 */
import { Type } from '@sinclair/typebox'
import type { JWK } from 'jose'
import { ATTACK_IDS, attacks } from '../attacks/index.ts'
import { startAttackerServer } from '../attacks/attacker-server.ts'
import { type AttackFinding, runAttack } from '../attacks/judge.ts'
import { fetchTransport } from '../oauth/transport.ts'
import type { AttackKit } from '../attacks/types.ts'
import { GamedayError } from '../errors.ts'
import { authCodeLogin } from '../oauth/client.ts'
import { endpointsOf, selectRs } from '../faults/support.ts'
import { Duration } from '../scenario/schema.ts'
import { registerSecret } from '../util/secrets.ts'
import { deadline, mintFor } from './support.ts'
import { defineProbe } from './types.ts'

const ID = 'jwt-attacks'

/** S2's count for one finding: an accepted attack, and separately a fetch of the attacker's URL. */
export function findingScore(f: AttackFinding): number {
  return (f.accepted ? 1 : 0) + (f.fetchedAttackerUrl ? 1 : 0)
}

async function fetchJwks(url: string, signal: AbortSignal): Promise<JWK[]> {
  const res = await fetchTransport({ probe: ID })({
    url,
    method: 'GET',
    headers: { accept: 'application/json' },
    signal,
  })
  if (res.status < 200 || res.status >= 300)
    throw new GamedayError('ERR_PROBE_FAILED', `${ID}: the JWKS at ${url} answered ${res.status}`)
  const body = JSON.parse(res.body) as { keys?: JWK[] }
  return Array.isArray(body.keys) ? body.keys : []
}

function jwksFetchesOf(stats: Record<string, unknown> | undefined): number | undefined {
  const f = stats?.jwksFetches as { ok?: unknown; failed?: unknown } | undefined
  return typeof f?.ok === 'number' ? f.ok + (typeof f.failed === 'number' ? f.failed : 0) : undefined
}

export const jwtAttacks = defineProbe({
  id: ID,
  summary:
    'Runs the JWT attack catalog against every RS; counts accepted attacks and attacker-URL fetches (must be 0).',
  params: Type.Object(
    {
      timeout: Duration('upper bound for the whole catalog against every RS', '40s'),
      attacks: Type.Optional(
        Type.Array(Type.Union(ATTACK_IDS.map((id) => Type.Literal(id))), {
          minItems: 1,
          uniqueItems: true,
          description: 'attack ids to run (default: the whole catalog)',
        }),
      ),
      target: Type.Optional(Type.String({ description: 'attack only this resource server (default: every RS)' })),
      requestTimeoutMs: Type.Integer({
        minimum: 100,
        maximum: 30_000,
        default: 3000,
        description: 'per-request timeout, ms; an RS that hangs is a robustness finding',
      }),
      floodCount: Type.Integer({
        minimum: 1,
        maximum: 200,
        default: 20,
        description: 'tokens with random kids the unknown-kid flood sends per RS',
      }),
    },
    { additionalProperties: false },
  ),
  needs: () => [],
  async run(ctx, params, signal) {
    const limit = deadline(signal, params.timeout)
    const ids = params.attacks ?? ATTACK_IDS
    const rss = selectRs(ctx.targets, ID, params.target)
    const as = ctx.targets.control.as
    const attacker = await startAttackerServer()
    const findings: AttackFinding[] = []
    const breakdown: Record<string, number> = {}
    const unattacked: string[] = []
    let timedOut = false
    try {
      const jwks = await fetchJwks(ctx.targets.jwksUri, limit.signal).catch(() => [] as JWK[])
      let refresh: Promise<string | undefined> | undefined
      const refreshToken = () => {
        refresh ??= (async () => {
          const client = ctx.targets.clients.find(
            (c) =>
              c.grantTypes.includes('authorization_code') &&
              c.grantTypes.includes('refresh_token') &&
              c.redirectUris.length > 0,
          )
          const user = ctx.targets.users[0]
          if (!client || !user) return undefined
          const r = await authCodeLogin(
            endpointsOf(ctx.targets, 'jwt-attacks'),
            {
              clientId: client.clientId,
              ...(client.clientSecret ? { clientSecret: client.clientSecret } : {}),
              redirectUri: client.redirectUris[0]!,
            },
            {
              username: user.username,
              password: user.password,
              signal: limit.signal,
              ...(client.scopes[0] ? { scope: client.scopes[0] } : {}),
            },
          ).catch(() => undefined)
          return r?.refresh_token
        })()
        return refresh
      }
      for (const rs of rss) {
        if (limit.signal.aborted) break
        breakdown[rs.name] = 0
        const honest = await mintFor(ctx.targets, ID, rs, { resource: true, signal: limit.signal }).catch(
          () => undefined,
        )
        const token = honest?.access_token
        const check = token
          ? await fetchTransport({ probe: ID })({
              url: rs.apiUrl,
              method: 'GET',
              headers: { authorization: `Bearer ${token}` },
              signal: limit.signal,
            }).catch(() => undefined)
          : undefined
        if (!token || !check || check.status < 200 || check.status >= 300) {
          unattacked.push(
            `${rs.name}: ${token ? `an honest token was refused (status ${check?.status ?? 'none'})` : `no honest token (${honest?.error ?? 'token request failed'})`}`,
          )
          breakdown[`${rs.name}.unattacked`] = 1
          continue
        }
        const kit: AttackKit = {
          rs,
          issuer: ctx.targets.issuer,
          honest: token,
          jwks,
          refreshToken,
          attacker,
          floodCount: params.floodCount,
          ...(as
            ? {
                mint: async (req: { claims?: Record<string, unknown>; typ?: string | null }) => {
                  const client = ctx.targets.clients.find((c) => c.grantTypes.includes('client_credentials'))
                  const claims = {
                    ...(client ? { client_id: client.clientId, sub: client.clientId } : {}),
                    ...req.claims,
                  }
                  const m = await as.mint({ ...req, claims })
                  registerSecret(m.token)
                  return m.token
                },
              }
            : {}),
          ...(rs.control
            ? { jwksFetches: async () => jwksFetchesOf(await rs.control!.stats().catch(() => undefined)) }
            : {}),
        }
        for (const id of ids) {
          if (limit.signal.aborted) break
          try {
            const f = await runAttack(attacks[id]!, kit, {
              probeId: ID,
              timeoutMs: params.requestTimeoutMs,
              signal: limit.signal,
            })
            findings.push(f)
            breakdown[rs.name] = (breakdown[rs.name] ?? 0) + findingScore(f)
            if (f.robustness) breakdown[`${rs.name}.robustness`] = (breakdown[`${rs.name}.robustness`] ?? 0) + 1
            if (f.accepted || f.fetchedAttackerUrl)
              ctx.emit('attack.accepted', {
                rs: rs.name,
                attack: id,
                status: f.status,
                fetchedAttackerUrl: f.fetchedAttackerUrl ?? false,
              })
          } catch (err) {
            if (limit.signal.aborted) break
            findings.push({
              rs: rs.name,
              attack: id,
              applicable: false,
              accepted: false,
              status: 0,
              reason: `could not build the attack: ${err instanceof Error ? err.message : String(err)}`,
            })
          }
        }
      }
      timedOut = limit.expired()
    } finally {
      await attacker.close()
    }
    const value = findings.reduce((n, f) => n + findingScore(f), 0)
    const outcome = {
      name: 'JWT attacks accepted (all RSs)',
      value,
      unit: 'count' as const,
      breakdown,
      observations: findings.map((f) => ({ ...f })),
    }
    if (timedOut)
      return {
        ...outcome,
        status: 'timeout' as const,
        error: `the catalog did not finish within ${params.timeout} (${findings.length} findings)`,
      }
    if (unattacked.length > 0)
      return { ...outcome, status: 'failed' as const, error: `not attacked: ${unattacked.join('; ')}` }
    return { ...outcome, status: 'ok' as const }
  },
})
