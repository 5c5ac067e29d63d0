/**
 * Local validation of JWT access tokens (RFC 9068 §4, RFC 8725): the alg
 * allow-list comes first (never `none`, never HS* — no HS/RS confusion), then
 * the key by kid from the JWKS cache, the signature, `typ`, `iss`, `aud` and
 * `exp`/`nbf` against the RS clock (with its offset) and the clock tolerance.
 * Every failure maps to one reason of the shared vocabulary.
 */
import { decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose'
import type { JwksCache } from './jwks-cache.ts'
import type { RejectReason } from './telemetry.ts'

export interface TokenClaims {
  sub?: string
  clientId?: string
  jti?: string
  scopes: string[]
  exp?: number
  /** `cnf.jkt`: the DPoP key the token is bound to (RFC 9449 §6). */
  jkt?: string
}

export type Validation =
  | { ok: true; claims: TokenClaims; fromCache?: boolean }
  | { ok: false; reason: RejectReason; retryAfterSeconds?: number; jti?: string }

export interface JwtValidatorOptions {
  jwks: JwksCache
  issuer: string
  audience: string
  checkAudience: boolean
  checkIssuer: boolean
  requireExp: boolean
  algorithms: string[]
  allowJwtTyp: boolean
  clockToleranceSeconds: number
  /** RS time in epoch ms (injected clock plus the control-API offset). */
  rsNow: () => number
}

/** Scopes from RFC 9068 `scope` (space-separated) or the common `scp` array. */
export function scopesOf(payload: { scope?: unknown; scp?: unknown }): string[] {
  if (typeof payload.scope === 'string') return payload.scope.split(' ').filter(Boolean)
  if (Array.isArray(payload.scp)) return payload.scp.filter((s): s is string => typeof s === 'string')
  return []
}

/** The `jkt` of a `cnf` claim or introspection member (RFC 9449 §6.1, §6.2), when there is one. */
export function jktOf(cnf: unknown): string | undefined {
  const jkt = cnf !== null && typeof cnf === 'object' ? (cnf as { jkt?: unknown }).jkt : undefined
  return typeof jkt === 'string' ? jkt : undefined
}

export function claimsOf(payload: JWTPayload): TokenClaims {
  const claims: TokenClaims = { scopes: scopesOf(payload as { scope?: unknown; scp?: unknown }) }
  if (typeof payload.sub === 'string') claims.sub = payload.sub
  if (typeof payload.client_id === 'string') claims.clientId = payload.client_id
  if (typeof payload.jti === 'string') claims.jti = payload.jti
  if (typeof payload.exp === 'number') claims.exp = payload.exp
  const jkt = jktOf(payload.cnf)
  if (jkt !== undefined) claims.jkt = jkt
  return claims
}

function typOk(typ: unknown, allowJwt: boolean): boolean {
  if (typ === undefined) return allowJwt
  if (typeof typ !== 'string') return false
  const t = typ.toLowerCase().replace(/^application\//, '')
  return t === 'at+jwt' || (allowJwt && t === 'jwt')
}

function reasonOf(err: unknown): RejectReason {
  const e = err as { code?: string; claim?: string }
  switch (e?.code) {
    case 'ERR_JWT_EXPIRED':
      return 'expired'
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'bad_signature'
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return 'bad_alg'
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (e.claim === 'nbf') return 'not_yet_valid'
      if (e.claim === 'iss') return 'wrong_iss'
      if (e.claim === 'aud') return 'wrong_aud'
      return 'malformed'
    default:
      // jose throws TypeError when a key cannot be used with the token's alg
      return err instanceof TypeError ? 'bad_alg' : 'malformed'
  }
}

/** Build the validate function of the `jwt` mode. */
export function createJwtValidator(o: JwtValidatorOptions): (token: string) => Promise<Validation> {
  const allowed = new Set(o.algorithms.filter((a) => a !== 'none' && !/^HS/i.test(a)))
  const algorithms = [...allowed]
  return async (token) => {
    let header: ReturnType<typeof decodeProtectedHeader>
    try {
      if (token.split('.').length !== 3) return { ok: false, reason: 'malformed' }
      header = decodeProtectedHeader(token)
    } catch {
      return { ok: false, reason: 'malformed' }
    }
    if (typeof header.alg !== 'string') return { ok: false, reason: 'malformed' }
    if (!allowed.has(header.alg)) return { ok: false, reason: 'bad_alg' }
    if (header.kid !== undefined && typeof header.kid !== 'string') return { ok: false, reason: 'malformed' }
    let found: Awaited<ReturnType<JwksCache['getKey']>>
    try {
      found = await o.jwks.getKey(header.kid, header.alg)
    } catch {
      return { ok: false, reason: 'bad_alg' }
    }
    if ('reason' in found)
      return found.retryAfterSeconds === undefined
        ? { ok: false, reason: found.reason }
        : { ok: false, reason: found.reason, retryAfterSeconds: found.retryAfterSeconds }
    try {
      const { payload, protectedHeader } = await jwtVerify(token, found.key, {
        issuer: o.checkIssuer ? o.issuer : undefined,
        audience: o.checkAudience ? o.audience : undefined,
        algorithms,
        clockTolerance: o.clockToleranceSeconds,
        currentDate: new Date(o.rsNow()),
        requiredClaims: o.requireExp ? ['exp'] : [],
      })
      if (!typOk(protectedHeader.typ, o.allowJwtTyp)) return withJti({ ok: false, reason: 'wrong_typ' }, payload.jti)
      return { ok: true, claims: claimsOf(payload) }
    } catch (err) {
      return { ok: false, reason: reasonOf(err) }
    }
  }
}

function withJti(v: { ok: false; reason: RejectReason }, jti: unknown): Validation {
  return typeof jti === 'string' ? { ...v, jti } : v
}
