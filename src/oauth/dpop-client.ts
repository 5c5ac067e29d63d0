/**
 * The client side of DPoP (RFC 9449): one key and the nonces servers gave it.
 * A {@link DpopSession} is what one virtual user holds — its key pair, the
 * latest `DPoP-Nonce` per server origin (§8 at the AS, §9 at the RS) — and
 * signs a proof for each request with src/oauth/dpop.ts (node:crypto).
 * {@link dpopTransport} puts a proof on every request of a transport and
 * answers a nonce challenge the way §8 asks: store the nonce, retry once.
 */
import { type DpopAlg, type DpopKey, ath as athOf, createDpopProof, generateDpopKey } from './dpop.ts'
import type { OAuthResponse, Transport } from './transport.ts'

type Headers = Record<string, string | string[] | undefined>

function first(headers: Headers, name: string): string | undefined {
  const v = headers[name]
  return Array.isArray(v) ? v[0] : v
}

/**
 * A DPoP key and the nonces servers handed it, per origin.
 *
 * @example
 * const s = DpopSession.generate('ES256')
 * const proof = s.proof('POST', 'http://127.0.0.1:4000/token') // carries the cached nonce, if any
 */
export class DpopSession {
  readonly key: DpopKey
  /** The client's clock (epoch ms) its proofs take `iat` from; `Date.now` unless given. */
  readonly clock: (() => number) | undefined
  readonly #nonces = new Map<string, string>()
  // one RS URL per session in practice: keep its origin and the last token's ath
  #lastUrl = ''
  #lastOrigin = ''
  #lastToken = ''
  #lastAth = ''

  /**
   * @param clock epoch ms as this client believes it, for each proof's `iat`
   *   (a client whose clock is off signs proofs that look old or early, RFC 9449 §11.1)
   */
  constructor(key: DpopKey, clock?: () => number) {
    this.key = key
    this.clock = clock
  }

  /** A session with a fresh key pair (node:crypto), its proofs dated by `clock` (default `Date.now`). */
  static generate(alg: DpopAlg = 'ES256', clock?: () => number): DpopSession {
    return new DpopSession(generateDpopKey(alg), clock)
  }

  /** The RFC 7638 thumbprint tokens get bound to (`cnf.jkt`). */
  get jkt(): string {
    return this.key.jkt
  }

  /** The nonce last seen from `url`'s origin. */
  nonceFor(url: string): string | undefined {
    return this.#nonces.get(this.#origin(url))
  }

  /** Keep the `DPoP-Nonce` of a response from `url` (any status); true when it changed. */
  observe(url: string, headers: Headers): boolean {
    const nonce = first(headers, 'dpop-nonce')
    if (nonce === undefined || nonce === '') return false
    const origin = this.#origin(url)
    if (this.#nonces.get(origin) === nonce) return false
    this.#nonces.set(origin, nonce)
    return true
  }

  /** Sign a proof for `htm url`, bound to `accessToken` (`ath`) when given, with the origin's nonce. */
  proof(htm: string, url: string, accessToken?: string): string {
    const nonce = this.#nonces.get(this.#origin(url))
    let boundAth: string | undefined
    if (accessToken !== undefined) {
      if (accessToken !== this.#lastToken) {
        this.#lastToken = accessToken
        this.#lastAth = athOf(accessToken)
      }
      boundAth = this.#lastAth
    }
    return createDpopProof({
      key: this.key,
      htm,
      htu: url,
      ...(boundAth === undefined ? {} : { ath: boundAth }),
      ...(nonce === undefined ? {} : { nonce }),
      ...(this.clock === undefined ? {} : { iat: Math.floor(this.clock() / 1000) }),
    })
  }

  #origin(url: string): string {
    if (url !== this.#lastUrl) {
      this.#lastUrl = url
      try {
        this.#lastOrigin = new URL(url).origin
      } catch {
        this.#lastOrigin = url
      }
    }
    return this.#lastOrigin
  }
}

/**
 * The nonce a response asks the client to retry with, or undefined: a 400
 * with `error: use_dpop_nonce` from an AS (§8) or a 401 whose DPoP challenge
 * says `error="use_dpop_nonce"` from an RS (§9), each with a `DPoP-Nonce`.
 *
 * @example nonceChallenge(401, { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': 'n1' }, '') // 'n1'
 */
export function nonceChallenge(status: number, headers: Headers, body: string): string | undefined {
  if (status !== 400 && status !== 401) return undefined
  const nonce = first(headers, 'dpop-nonce')
  if (nonce === undefined || nonce === '') return undefined
  return dpopErrorOf(status, headers, body) === 'use_dpop_nonce' ? nonce : undefined
}

/**
 * The DPoP error a refusal carries: the `error` of a 400 token response or of
 * a `WWW-Authenticate: DPoP` challenge (`use_dpop_nonce`, `invalid_dpop_proof`, …).
 *
 * @example dpopErrorOf(400, {}, '{"error":"invalid_dpop_proof"}') // 'invalid_dpop_proof'
 */
export function dpopErrorOf(status: number, headers: Headers, body: string): string | undefined {
  if (status === 401 || status === 403) {
    const challenge = first(headers, 'www-authenticate') ?? ''
    const m = /(?:^|,)\s*DPoP\b(.*)/is.exec(challenge)
    if (m) {
      const e = /\berror\s*=\s*"?([A-Za-z_]+)"?/.exec(m[1]!)
      if (e) return e[1]
    }
  }
  if (status === 400 || status === 401) {
    if (!body.includes('dpop')) return undefined
    try {
      const json = JSON.parse(body) as { error?: unknown }
      if (typeof json.error === 'string') return json.error
    } catch {}
  }
  return undefined
}

/** What {@link dpopTransport} reports about each exchange. */
export interface DpopTransportEvents {
  /** A nonce challenge was answered with a retry (at most once per request). */
  onNonceRetry?(url: string): void
  /** The final answer refused the proof (`invalid_dpop_proof`). */
  onProofRejected?(url: string): void
}

/**
 * `transport` with a DPoP proof on every request (no `ath`: for the AS's
 * token endpoint), nonces remembered from every answer and a nonce challenge
 * retried once with the new nonce (§8).
 *
 * @example
 * const t = dpopTransport(fetchTransport(), DpopSession.generate())
 * await postForm(t, tokenEndpoint, { grant_type: 'client_credentials' }, client)
 */
export function dpopTransport(transport: Transport, session: DpopSession, events: DpopTransportEvents = {}): Transport {
  return async (req) => {
    const send = (body = req.body): Promise<OAuthResponse> =>
      transport({
        ...req,
        headers: { ...req.headers, dpop: session.proof(req.method, req.url) },
        ...(body !== undefined ? { body } : {}),
      })
    let res = await send()
    session.observe(req.url, res.headers)
    if (nonceChallenge(res.status, res.headers, res.body) !== undefined) {
      events.onNonceRetry?.(req.url)
      // a client assertion is good once: the retry carries a fresh one
      res = await send(req.resendBody ? req.resendBody() : req.body)
      session.observe(req.url, res.headers)
    }
    if (dpopErrorOf(res.status, res.headers, res.body) === 'invalid_dpop_proof') events.onProofRejected?.(req.url)
    return res
  }
}
