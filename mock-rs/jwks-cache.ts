/**
 * The resource server's own JWKS cache, written out rather than taken from
 * jose's createRemoteJWKSet so that each knob is exact and observable: max
 * age, refetch on an unknown kid with a cooldown (measured, as in jose, from
 * the last successful fetch), fetch timeout, stale-if-error, and one fetch in
 * flight at a time. A failed fetch is not retried for one second, so a dead
 * JWKS endpoint sees at most one call per second from each RS.
 */
import { importJWK, type JWK } from 'jose'
import { retryAfterMs } from './retry-after.ts'
import type { RejectReason, Telemetry } from './telemetry.ts'

export type FetchCause = 'startup' | 'expiry' | 'unknown_kid'

export interface JwksCacheOptions {
  uri: string
  maxAgeMs: number
  refetchOnUnknownKid: boolean
  cooldownMs: number
  timeoutMs: number
  staleIfError: boolean
  /** After a 429/503 with Retry-After, do not fetch again before it. */
  honourRetryAfter: boolean
  now: () => number
  telemetry: Telemetry
}

export type KeyLookup =
  | { key: CryptoKey }
  | { reason: Extract<RejectReason, 'unknown_kid' | 'bad_alg' | 'validator_unavailable'>; retryAfterSeconds?: number }

interface HeldSet {
  byKid: Map<string, JWK[]>
  all: JWK[]
  fetchedAt: number
  imported: Map<JWK, Map<string, Promise<CryptoKey>>>
}

const FAILED_FETCH_BACKOFF_MS = 1000

/** Which JWK shape an alg needs. */
function keyFits(jwk: JWK, alg: string): boolean {
  if (jwk.alg !== undefined && jwk.alg !== alg) return false
  if (jwk.use !== undefined && jwk.use !== 'sig') return false
  switch (alg) {
    case 'ES256':
      return jwk.kty === 'EC' && jwk.crv === 'P-256'
    case 'ES384':
      return jwk.kty === 'EC' && jwk.crv === 'P-384'
    case 'ES512':
      return jwk.kty === 'EC' && jwk.crv === 'P-521'
    case 'EdDSA':
    case 'Ed25519':
      return jwk.kty === 'OKP' && jwk.crv === 'Ed25519'
    default:
      return /^(RS|PS)(256|384|512)$/.test(alg) && jwk.kty === 'RSA'
  }
}

/** A remote key set with exact, observable caching rules. */
export class JwksCache {
  private held: HeldSet | undefined
  private pending: Promise<boolean> | undefined
  private lastFailureAt: number | undefined
  private blockedUntil = 0

  constructor(private readonly opts: JwksCacheOptions) {}

  /** The kids currently held. */
  kids(): string[] {
    return this.held ? [...this.held.byKid.keys()] : []
  }

  /** Age of the held key set in seconds, or null when none is held. */
  ageSeconds(): number | null {
    return this.held ? (this.opts.now() - this.held.fetchedAt) / 1000 : null
  }

  /** Forget the held key set (control reset). */
  clear(): void {
    this.held = undefined
    this.lastFailureAt = undefined
    this.blockedUntil = 0
  }

  /**
   * Fetch once at startup; a failure is recorded, not thrown. It starts no
   * one-second backoff: an RS told the AS's jwks_uri boots beside an AS that
   * may not listen yet, and its first request must fetch again, not answer
   * 503 for the second after boot.
   */
  async warm(): Promise<boolean> {
    const ok = await this.refresh('startup')
    if (!ok) this.lastFailureAt = undefined
    return ok
  }

  /** Find the verification key for a token header. */
  async getKey(kid: string | undefined, alg: string): Promise<KeyLookup> {
    const { now, maxAgeMs, staleIfError, refetchOnUnknownKid, cooldownMs, telemetry } = this.opts
    let fetched = false
    if (!this.held || now() - this.held.fetchedAt >= maxAgeMs) {
      const ok = await this.refresh(this.held ? 'expiry' : 'startup')
      fetched = true
      if (!ok && (!this.held || !staleIfError)) return this.unavailable()
    }
    let found = this.lookup(kid, alg)
    if ('reason' in found && found.reason === 'unknown_kid' && kid !== undefined && refetchOnUnknownKid && !fetched) {
      if (now() - this.held!.fetchedAt >= cooldownMs) {
        const ok = await this.refresh('unknown_kid')
        if (!ok) return this.unavailable()
        fetched = true
        found = this.lookup(kid, alg)
      }
    }
    if (!fetched && 'key' in found) telemetry.cacheHits.jwks += 1
    if ('key' in found) return { key: await found.key }
    return found
  }

  private unavailable(): KeyLookup {
    const wait = Math.max(this.blockedUntil, (this.lastFailureAt ?? 0) + FAILED_FETCH_BACKOFF_MS) - this.opts.now()
    return { reason: 'validator_unavailable', retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)) }
  }

  private lookup(
    kid: string | undefined,
    alg: string,
  ): { key: Promise<CryptoKey> } | { reason: 'unknown_kid' | 'bad_alg' } {
    const held = this.held!
    const candidates = kid === undefined ? held.all : held.byKid.get(kid)
    if (!candidates || candidates.length === 0) return { reason: 'unknown_kid' }
    const jwk = candidates.find((k) => keyFits(k, alg))
    if (!jwk) return { reason: kid === undefined ? 'unknown_kid' : 'bad_alg' }
    let byAlg = held.imported.get(jwk)
    if (!byAlg) held.imported.set(jwk, (byAlg = new Map()))
    let key = byAlg.get(alg)
    if (!key) {
      key = importJWK({ ...jwk, ext: true }, alg) as Promise<CryptoKey>
      // a key that cannot be imported is as good as absent for this alg
      key.catch(() => byAlg.delete(alg))
      byAlg.set(alg, key)
    }
    return { key }
  }

  /** Fetch the key set (single-flight). Resolves true when a fresh set is held. */
  private refresh(cause: FetchCause): Promise<boolean> {
    if (this.pending) return this.pending
    const { now } = this.opts
    if (this.lastFailureAt !== undefined && now() - this.lastFailureAt < FAILED_FETCH_BACKOFF_MS)
      return Promise.resolve(false)
    if (this.blockedUntil > now()) return Promise.resolve(false)
    this.pending = this.fetchOnce(cause).finally(() => {
      this.pending = undefined
    })
    return this.pending
  }

  private async fetchOnce(cause: FetchCause): Promise<boolean> {
    const { uri, timeoutMs, now, telemetry } = this.opts
    const started = now()
    telemetry.jwksFetches.byCause[cause] = (telemetry.jwksFetches.byCause[cause] ?? 0) + 1
    try {
      const res = await fetch(uri, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } })
      if (!res.ok) {
        await res.body?.cancel()
        if (this.opts.honourRetryAfter && (res.status === 429 || res.status === 503)) {
          const wait = retryAfterMs(res.headers.get('retry-after'), now())
          if (wait !== undefined) this.blockedUntil = now() + wait
        }
        throw new Error(`jwks answered ${res.status}`)
      }
      const body = (await res.json()) as { keys?: unknown }
      if (!body || !Array.isArray(body.keys)) throw new Error('jwks body has no "keys" array')
      const all = body.keys.filter(
        (k): k is JWK => typeof k === 'object' && k !== null && typeof (k as JWK).kty === 'string',
      )
      const byKid = new Map<string, JWK[]>()
      for (const k of all) {
        const id = typeof k.kid === 'string' ? k.kid : ''
        const list = byKid.get(id) ?? []
        list.push(k)
        byKid.set(id, list)
      }
      this.held = { byKid, all, fetchedAt: now(), imported: new Map() }
      this.lastFailureAt = undefined
      telemetry.jwksFetches.ok += 1
      telemetry.emit('jwks.fetched', { kids: [...byKid.keys()], cause, durationMs: now() - started })
      return true
    } catch (err) {
      this.lastFailureAt = now()
      telemetry.jwksFetches.failed += 1
      const error =
        err instanceof Error
          ? err.name === 'TimeoutError'
            ? `timeout after ${timeoutMs}ms`
            : err.message
          : String(err)
      telemetry.emit('jwks.fetch_failed', {
        cause,
        error,
        staleServed: this.opts.staleIfError && this.held !== undefined,
      })
      return false
    }
  }
}
