/**
 * The state one resource server shares between its routes: knobs, clock,
 * validators, caches and telemetry. `authenticate` is the RFC 6750 gate every
 * protected route passes through.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { decodeJwt } from 'jose'
import { shortHash } from '../src/util/secrets.ts'
import { challenge, extractToken } from './bearer.ts'
import type { Introspector } from './introspection.ts'
import type { JwksCache } from './jwks-cache.ts'
import type { TokenClaims, Validation } from './jwt-validator.ts'
import type { ProfileName, RsKnobs } from './options.ts'
import type { Telemetry } from './telemetry.ts'
import { sourceOf } from '../src/util/component/probe-traffic.ts'

export interface RsContext {
  name: string
  profile: ProfileName
  knobs: RsKnobs
  issuer: string
  audience: string
  jwksUri?: string
  introspectionEndpoint?: string
  readScope: string
  writeScope: string
  telemetry: Telemetry
  jwks?: JwksCache
  introspector?: Introspector
  validate: (token: string) => Promise<Validation>
  /** Injected clock, epoch ms. */
  now: () => number
  /** RS clock skew set through the control API. */
  clock: { offsetSeconds: number }
}

function jtiOf(token: string): string | undefined {
  try {
    const jti = decodeJwt(token).jti
    return typeof jti === 'string' ? jti : undefined
  } catch {
    return undefined
  }
}

/**
 * Gate a request on a bearer token carrying `scope`. Returns the claims, or
 * undefined after having sent the RFC 6750 answer.
 */
export async function authenticate(
  ctx: RsContext,
  request: FastifyRequest,
  reply: FastifyReply,
  scope: string,
): Promise<TokenClaims | undefined> {
  const { telemetry, knobs, name } = ctx
  const source = sourceOf(request.headers)
  const found = extractToken(request.headers.authorization, request.query, request.body)
  if (found.kind === 'none') {
    telemetry.count('no_credentials', '', source)
    reply
      .code(401)
      .header('www-authenticate', challenge(name))
      .send({ error: 'unauthorized', error_description: 'bearer token required' })
    return undefined
  }
  if (found.kind === 'invalid_request') {
    telemetry.count('invalid_request', '', source)
    reply
      .code(400)
      .header('www-authenticate', challenge(name, { error: 'invalid_request', error_description: found.description }))
      .send({ error: 'invalid_request', error_description: found.description })
    return undefined
  }
  const token = found.token
  let result: Validation
  try {
    result = await ctx.validate(token)
  } catch {
    result = { ok: false, reason: 'malformed' }
  }
  if (!result.ok) {
    if (result.reason === 'validator_unavailable') {
      if (knobs.failOpen) {
        telemetry.count('fail_open', 'validator_unavailable', source)
        telemetry.failOpenAcceptances += 1
        // deliberate traffic is counted apart and left out of the feed: the probe that sent it counts its own
        if (source === 'probe') telemetry.failOpenProbeAcceptances += 1
        else
          telemetry.emitSampled('fail_open.accepted', () => ({
            jti: jtiOf(token) ?? null,
            tokenHash: shortHash(token),
          }))
        return { scopes: [] }
      }
      telemetry.count('unavailable', 'validator_unavailable', source)
      if (knobs.failureStatus === 503) {
        reply
          .code(503)
          .header('retry-after', String(result.retryAfterSeconds ?? 1))
          .send({ error: 'temporarily_unavailable', error_description: 'validator_unavailable' })
        return undefined
      }
    } else {
      telemetry.count('rejected', result.reason, source)
      const reason = result.reason
      const jti = result.jti
      telemetry.emitSampled('token.rejected', () => ({ reason, jti: jti ?? jtiOf(token) ?? null }))
    }
    reply
      .code(401)
      .header('www-authenticate', challenge(name, { error: 'invalid_token', error_description: result.reason }))
      .send({ error: 'invalid_token', error_description: result.reason })
    return undefined
  }
  if (!result.claims.scopes.includes(scope)) {
    telemetry.count('forbidden', 'insufficient_scope', source)
    reply
      .code(403)
      .header(
        'www-authenticate',
        challenge(name, { error: 'insufficient_scope', error_description: `scope ${scope} required`, scope }),
      )
      .send({ error: 'insufficient_scope', error_description: `scope ${scope} required` })
    return undefined
  }
  telemetry.count('accepted', '', source)
  return result.claims
}
