/**
 * The state one resource server shares between its routes: knobs, clock,
 * validators, caches and telemetry. `authenticate` is the RFC 6750 gate every
 * protected route passes through.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { decodeJwt } from 'jose'
import { shortHash } from '../src/util/secrets.ts'
import { challenge, type Extracted, extractToken } from './bearer.ts'
import { dpopToken, type RsDpop } from './dpop.ts'
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
  /** DPoP verification (RFC 9449 §7), when the profile says `dpop: verify`. */
  dpop?: RsDpop
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
  const { dpop } = ctx
  let found: Extracted | undefined
  let scheme: 'bearer' | 'dpop' = 'bearer'
  const viaDpop = dpop ? dpopToken(request.headers.authorization) : undefined
  if (viaDpop) {
    scheme = 'dpop'
    const other = extractToken(undefined, request.query, request.body)
    found =
      'invalid' in viaDpop
        ? { kind: 'invalid_request', description: viaDpop.invalid }
        : other.kind !== 'none'
          ? { kind: 'invalid_request', description: 'more than one method used to send the access token' }
          : { kind: 'token', token: viaDpop.token, fromQuery: false }
  }
  found ??= extractToken(request.headers.authorization, request.query, request.body)
  const challengeFor = (params: { error: string; error_description: string; scope?: string }) =>
    scheme === 'dpop' && dpop ? dpop.challenge(params.error, params.error_description) : challenge(name, params)
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
      .header('www-authenticate', challengeFor({ error: 'invalid_request', error_description: found.description }))
      .send({ error: 'invalid_request', error_description: found.description })
    return undefined
  }
  if (found.fromQuery) {
    if (!knobs.allowQueryToken) {
      // RFC 9700 §4.3.2, FAPI 2.0 §5.3.4: a token in a URL leaks into logs, history and Referer
      const description = 'access_token in the query string is not accepted; send it in the Authorization header'
      telemetry.count('invalid_request', '', source)
      reply
        .code(400)
        .header('www-authenticate', challenge(name, { error: 'invalid_request', error_description: description }))
        .send({ error: 'invalid_request', error_description: description })
      return undefined
    }
    // RFC 6750 §2.3: a response to a query-string token must not be shared by caches
    reply.header('cache-control', 'private')
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
      .header('www-authenticate', challengeFor({ error: 'invalid_token', error_description: result.reason }))
      .send({ error: 'invalid_token', error_description: result.reason })
    return undefined
  }
  if (dpop) {
    const jkt = result.claims.jkt
    const refusal =
      scheme === 'dpop' ? dpop.check(request, token, jkt) : jkt !== undefined ? dpop.downgraded() : undefined
    if (refusal) {
      telemetry.count('rejected', 'dpop', source)
      telemetry.countDpop(refusal.reason, source)
      const jti = result.claims.jti ?? null
      telemetry.emitSampled('token.rejected', () => ({ reason: `dpop_${refusal.reason}`, jti }))
      reply
        .code(401)
        .headers(refusal.headers)
        .header('www-authenticate', refusal.challenge)
        .send({ error: refusal.error, error_description: refusal.description })
      return undefined
    }
    if (scheme === 'dpop') reply.headers(dpop.headers())
  }
  if (knobs.checkScope && !result.claims.scopes.includes(scope)) {
    telemetry.count('forbidden', 'insufficient_scope', source)
    reply
      .code(403)
      .header(
        'www-authenticate',
        challengeFor({ error: 'insufficient_scope', error_description: `scope ${scope} required`, scope }),
      )
      .send({ error: 'insufficient_scope', error_description: `scope ${scope} required` })
    return undefined
  }
  telemetry.count('accepted', '', source)
  return result.claims
}
