/**
 * DPoP at a resource server (RFC 9449 §7, §9), for profiles with
 * `dpop: verify`: a token sent with `Authorization: DPoP` must come with a
 * proof over this request (`htm`, `htu` as the RS is reached), the token's
 * hash (`ath`) and the key the token is bound to (`cnf.jkt`, from the JWT
 * or the introspection answer); each `jti` is accepted once. A DPoP-bound
 * token sent as a bearer token is refused (§7.2: the downgrade a gateway
 * makes). RS nonces (§9) are off unless `dpopNonce` is set. Failures answer
 * 401 with `WWW-Authenticate: DPoP error="…", algs="…"` (§7.1).
 *
 * Two INSECURE knobs exist for the detection matrix: `dpop: as-bearer` reads
 * the DPoP scheme like Bearer and checks neither proof nor binding (the
 * gateway downgrade of §7.2), and `dpopReplayCache: false` verifies proofs
 * but forgets every `jti` (§11.1: a captured proof replays in its window).
 */
import type { FastifyRequest } from 'fastify'
import { type DpopAlg, DpopError, DpopNonceSource, DpopReplayCache, verifyDpopProof } from '../src/oauth/dpop.ts'
import { durationMs } from '../src/util/duration.ts'
import type { RsKnobs } from './options.ts'

/** Why a DPoP request was refused: a DpopError reason, or one of the RS's own. */
export type DpopRejectReason = string

/** The DPoP state of one RS. */
export class RsDpop {
  readonly algs: DpopAlg[]
  /** False for `dpop: as-bearer`: the DPoP scheme carries a bearer token, proof and cnf.jkt are not looked at. */
  readonly bindingChecked: boolean
  /** False with `dpopReplayCache: false`: every proof jti is forgotten at once. */
  readonly replayChecked: boolean
  iatPastSeconds: number
  iatFutureSeconds: number
  nonceRequired: boolean
  replay: DpopReplayCache
  nonces: DpopNonceSource
  readonly #now: () => number
  readonly #maxEntries: number

  constructor(knobs: RsKnobs, now: () => number) {
    this.algs = [...knobs.dpopAlgorithms] as DpopAlg[]
    this.bindingChecked = knobs.dpop === 'verify'
    this.replayChecked = knobs.dpopReplayCache
    this.iatPastSeconds = durationMs(knobs.dpopIatPast) / 1000
    this.iatFutureSeconds = durationMs(knobs.dpopIatFuture) / 1000
    this.nonceRequired = knobs.dpopNonce
    this.#now = now
    this.#maxEntries = knobs.dpopReplayCacheMaxEntries
    this.replay = this.#newCache()
    this.nonces = new DpopNonceSource({ lifetimeMs: durationMs(knobs.dpopNonceLifetime), now })
  }

  /** Move the knobs (`PUT /_control/dpop`); a new iat window starts a new replay cache. */
  set(o: { nonceRequired?: boolean; nonceLifetimeMs?: number; iatPastSeconds?: number; iatFutureSeconds?: number }) {
    if (o.nonceRequired !== undefined) this.nonceRequired = o.nonceRequired
    if (o.nonceLifetimeMs !== undefined)
      this.nonces = new DpopNonceSource({ lifetimeMs: o.nonceLifetimeMs, now: this.#now })
    if (o.iatPastSeconds !== undefined || o.iatFutureSeconds !== undefined) {
      this.iatPastSeconds = o.iatPastSeconds ?? this.iatPastSeconds
      this.iatFutureSeconds = o.iatFutureSeconds ?? this.iatFutureSeconds
      this.replay = this.#newCache()
    }
  }

  view(): Record<string, unknown> {
    return {
      algs: this.algs,
      iatPastSeconds: this.iatPastSeconds,
      iatFutureSeconds: this.iatFutureSeconds,
      nonceRequired: this.nonceRequired,
      nonceLifetimeMs: this.nonces.lifetimeMs,
      replayCache: { size: this.replay.size, evictions: this.replay.evictions, maxEntries: this.replay.maxEntries },
    }
  }

  /**
   * Check the proof of a DPoP request for `token` bound to `jkt`; returns
   * undefined when it passes, else the refusal.
   */
  check(request: FastifyRequest, token: string, jkt: string | undefined): RsDpopRefusal | undefined {
    if (!this.bindingChecked) return undefined
    if (jkt === undefined)
      return this.refusal('not_bound', 'invalid_token', 'the DPoP scheme was used with a token not bound to a key')
    const proof = request.headers.dpop
    try {
      verifyDpopProof(proof, {
        htm: request.method,
        htu: requestHtu(request),
        accessToken: token,
        expectedJkt: jkt,
        iatWindow: { past: this.iatPastSeconds, future: this.iatFutureSeconds },
        replayCache: this.replay,
        algs: this.algs,
        now: this.#now,
        ...(this.nonceRequired ? { nonce: this.nonces } : {}),
      })
      return undefined
    } catch (err) {
      if (!(err instanceof DpopError)) throw err
      return this.refusal(err.reason, err.oauthError, err.message)
    }
  }

  /** The refusal of a DPoP-bound token presented as a bearer token (§7.2); undefined when binding is ignored. */
  downgraded(): RsDpopRefusal | undefined {
    if (!this.bindingChecked) return undefined
    return this.refusal('bearer_downgrade', 'invalid_token', 'a DPoP-bound token must be sent with the DPoP scheme')
  }

  /** The `WWW-Authenticate: DPoP …` challenge (§7.1) for an error. */
  challenge(error: string, description: string): string {
    return `DPoP error="${error}", error_description="${description.replace(/[\\"]/g, '').replace(/[^\x20-\x7e]/g, '')}", algs="${this.algs.join(' ')}"`
  }

  /** Headers of a DPoP answer: the next nonce when nonces are on. */
  headers(): Record<string, string> {
    return this.nonceRequired && this.bindingChecked ? { 'dpop-nonce': this.nonces.current() } : {}
  }

  private refusal(reason: DpopRejectReason, error: string, description: string): RsDpopRefusal {
    return { reason, error, description, challenge: this.challenge(error, description), headers: this.headers() }
  }

  #newCache(): DpopReplayCache {
    if (!this.replayChecked) return new ForgetfulReplayCache()
    return new DpopReplayCache({
      maxEntries: this.#maxEntries,
      ttlMs: (this.iatPastSeconds + this.iatFutureSeconds) * 1000 + 1000,
      now: this.#now,
    })
  }
}

/** The replay cache of `dpopReplayCache: false`: holds nothing, so every jti is new. */
class ForgetfulReplayCache extends DpopReplayCache {
  override use(_id: string): boolean {
    return true
  }
}

/** A refused DPoP request: the metric reason, the OAuth error and what to answer. */
export interface RsDpopRefusal {
  reason: DpopRejectReason
  error: string
  description: string
  challenge: string
  headers: Record<string, string>
}

/** The `htu` this request answers to: scheme, host and path as the RS is reached (no query). */
export function requestHtu(request: FastifyRequest): string {
  const path = request.url.split('?')[0] ?? '/'
  return `${request.protocol}://${request.host}${path}`
}

const DPOP = /^dpop(?:\s+(.*))?$/is

/** The access token of an `Authorization: DPoP <token>` header, or undefined for another scheme. */
export function dpopToken(authorization: unknown): { token: string } | { invalid: string } | undefined {
  if (typeof authorization !== 'string') return undefined
  const m = DPOP.exec(authorization.trim())
  if (!m) return undefined
  const token = (m[1] ?? '').trim()
  if (token.length === 0 || /\s/.test(token)) return { invalid: 'malformed DPoP authorization header' }
  return { token }
}
