/**
 * Validation by RFC 7662 token introspection, with the RS's own client
 * credentials (client_secret_basic, §2.1). The knobs that make gateways and
 * libraries differ are all here: a result cache whose TTL never outlives the
 * token's `exp`, optional caching of `active:false`, single-flight of
 * identical calls, honouring Retry-After after a 429/503, and — for detection
 * only — failing open when the introspection endpoint cannot answer.
 */
import { clientSecretBasic } from '../src/oauth/client-auth.ts'
import { retryAfterMs } from './retry-after.ts'
import type { Telemetry } from './telemetry.ts'
import type { TokenClaims, Validation } from './jwt-validator.ts'
import { jktOf, scopesOf } from './jwt-validator.ts'

export interface IntrospectorOptions {
  endpoint: string
  clientId: string
  clientSecret: string
  audience: string
  checkAudience: boolean
  /** Refuse a token whose `token_type` is present and not an access token's. */
  checkTokenType: boolean
  cacheTtlMs: number
  cacheNegative: boolean
  honourRetryAfter: boolean
  singleFlight: boolean
  timeoutMs: number
  /** Injected clock (cache and Retry-After bookkeeping). */
  now: () => number
  /** RS time in epoch ms (clock plus offset), to bound cache entries by exp. */
  rsNow: () => number
  telemetry: Telemetry
}

interface Entry {
  result: Validation
  expiresAt: number
}

const MAX_ENTRIES = 50_000
/** Retry-After sent with a 503 when the AS named none. */
const DEFAULT_RETRY_AFTER_S = 1

/**
 * RFC 7662 §2.2 `token_type` as RFC 6749 §7.1 types name access tokens
 * (`Bearer`, `DPoP`, `N_A`) or as RFC 8693 §3 identifiers; absent is
 * allowed (the member is optional). `refresh_token`, an id token or
 * anything else is not an access token.
 */
export function isAccessTokenType(tokenType: unknown): boolean {
  if (tokenType === undefined) return true
  if (typeof tokenType !== 'string') return false
  const t = tokenType.toLowerCase()
  return (
    t === 'bearer' ||
    t === 'dpop' ||
    t === 'n_a' ||
    t === 'access_token' ||
    t === 'urn:ietf:params:oauth:token-type:access_token'
  )
}

/** An RFC 7662 client with the cache and back-off rules of its knobs. */
export class Introspector {
  private cache = new Map<string, Entry>()
  private inflight = new Map<string, Promise<Validation>>()
  private blockedUntil = 0
  private readonly authorization: string

  constructor(private readonly o: IntrospectorOptions) {
    this.authorization = clientSecretBasic(o.clientId, o.clientSecret)
  }

  /** Entries held in the result cache. */
  cacheSize(): number {
    return this.cache.size
  }

  /** Epoch ms before which the validator will not be called (Retry-After), 0 when not blocked. */
  blockedUntilMs(): number {
    return this.blockedUntil > this.o.now() ? this.blockedUntil : 0
  }

  clear(): void {
    this.cache.clear()
    this.blockedUntil = 0
  }

  /** Validate a token by introspection (cache, single-flight, Retry-After). */
  async validate(token: string): Promise<Validation> {
    const { now, telemetry } = this.o
    const t = now()
    if (this.o.cacheTtlMs > 0) {
      const hit = this.cache.get(token)
      if (hit) {
        if (hit.expiresAt > t) {
          telemetry.cacheHits.introspection += 1
          return hit.result.ok ? { ...hit.result, fromCache: true } : hit.result
        }
        this.cache.delete(token)
      }
      telemetry.cacheMisses.introspection += 1
    }
    if (this.blockedUntil > t) {
      return {
        ok: false,
        reason: 'validator_unavailable',
        retryAfterSeconds: Math.max(1, Math.ceil((this.blockedUntil - t) / 1000)),
      }
    }
    if (this.o.singleFlight) {
      const pending = this.inflight.get(token)
      if (pending) return pending
      const p = this.call(token).finally(() => this.inflight.delete(token))
      this.inflight.set(token, p)
      return p
    }
    return this.call(token)
  }

  private async call(token: string): Promise<Validation> {
    const { telemetry, now } = this.o
    let res: Response
    try {
      res = await fetch(this.o.endpoint, {
        method: 'POST',
        headers: {
          authorization: this.authorization,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
        signal: AbortSignal.timeout(this.o.timeoutMs),
      })
    } catch (err) {
      return this.failed(
        err instanceof Error && err.name === 'TimeoutError'
          ? `timeout after ${this.o.timeoutMs}ms`
          : 'connection failed',
        undefined,
      )
    }
    telemetry.introspectionCalls.byStatus[res.status] = (telemetry.introspectionCalls.byStatus[res.status] ?? 0) + 1
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined)
      let waitMs: number | undefined
      if (res.status === 429 || res.status === 503) {
        waitMs = retryAfterMs(res.headers.get('retry-after'), now())
        if (this.o.honourRetryAfter && waitMs !== undefined)
          this.blockedUntil = Math.max(this.blockedUntil, now() + waitMs)
      }
      return this.failed(`introspection answered ${res.status}`, waitMs, res.status)
    }
    let body: Record<string, unknown>
    try {
      body = (await res.json()) as Record<string, unknown>
      if (typeof body !== 'object' || body === null || typeof body.active !== 'boolean')
        throw new Error('no boolean "active"')
    } catch (err) {
      return this.failed(
        `introspection body invalid: ${err instanceof Error ? err.message : String(err)}`,
        undefined,
        200,
      )
    }
    telemetry.introspectionCalls.ok += 1
    const result = this.judge(body)
    this.store(token, result, body)
    return result
  }

  private judge(body: Record<string, unknown>): Validation {
    if (body.active !== true) return { ok: false, reason: 'inactive' }
    if (this.o.checkTokenType && !isAccessTokenType(body.token_type)) return { ok: false, reason: 'wrong_typ' }
    if (this.o.checkAudience && body.aud !== undefined) {
      const auds = Array.isArray(body.aud) ? body.aud : [body.aud]
      if (!auds.includes(this.o.audience)) return { ok: false, reason: 'wrong_aud' }
    }
    const claims: TokenClaims = { scopes: scopesOf(body) }
    if (typeof body.sub === 'string') claims.sub = body.sub
    if (typeof body.client_id === 'string') claims.clientId = body.client_id
    if (typeof body.jti === 'string') claims.jti = body.jti
    if (typeof body.exp === 'number') claims.exp = body.exp
    const jkt = jktOf(body.cnf)
    if (jkt !== undefined) claims.jkt = jkt
    return { ok: true, claims }
  }

  private store(token: string, result: Validation, body: Record<string, unknown>): void {
    const { cacheTtlMs, now, rsNow } = this.o
    if (cacheTtlMs <= 0 || (!result.ok && !this.o.cacheNegative)) return
    let ttl = cacheTtlMs
    // never cache a positive answer past the token's exp (as the RS clock sees it)
    if (result.ok && typeof body.exp === 'number') ttl = Math.min(ttl, body.exp * 1000 - rsNow())
    if (ttl <= 0) return
    if (this.cache.size >= MAX_ENTRIES) {
      const oldest = this.cache.keys().next().value
      if (oldest !== undefined) this.cache.delete(oldest)
    }
    this.cache.set(token, { result, expiresAt: now() + ttl })
  }

  private failed(error: string, waitMs: number | undefined, status?: number): Validation {
    const { telemetry } = this.o
    telemetry.introspectionCalls.failed += 1
    telemetry.emitSampled(
      'introspection.failed',
      status === undefined ? { error } : { error, status, retryAfterMs: waitMs ?? null },
    )
    const retryAfterSeconds = waitMs !== undefined ? Math.max(1, Math.ceil(waitMs / 1000)) : DEFAULT_RETRY_AFTER_S
    return { ok: false, reason: 'validator_unavailable', retryAfterSeconds }
  }
}
