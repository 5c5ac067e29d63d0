/**
 * DPoP (RFC 9449): proofs of possession for sender-constrained tokens, made
 * and checked by one implementation so mock-as, mock-rs and the flows agree.
 *
 * Proofs are signed with node:crypto (synchronous, no WebCrypto round trip),
 * so they are cheap enough for the load engine's hot path. Verification
 * follows §4.3 step by step and throws a {@link DpopError} whose `code` is
 * stable and whose `oauthError` is the RFC error string to answer with.
 */
import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  timingSafeEqual,
  verify,
} from 'node:crypto'

/** The JWS algorithms a proof may use here (asymmetric only, §4.2). */
export const DPOP_ALGS = ['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256'] as const
/** A JWS algorithm a proof may use. */
export type DpopAlg = (typeof DPOP_ALGS)[number]

/** A public JWK as it travels in a proof header. */
export type PublicJwk = Record<string, string>

/**
 * A DPoP key pair: the private key that signs, the public JWK that travels
 * in every proof, and its RFC 7638 thumbprint (the `jkt` tokens get bound to).
 */
export interface DpopKey {
  readonly alg: DpopAlg
  readonly privateKey: KeyObject
  readonly publicJwk: PublicJwk
  readonly jkt: string
}

/** Stable codes of a refused proof; `reason` (the suffix, lower-cased) labels metrics. */
export type DpopErrorCode =
  | 'ERR_DPOP_MALFORMED'
  | 'ERR_DPOP_TYP'
  | 'ERR_DPOP_ALG'
  | 'ERR_DPOP_JWK'
  | 'ERR_DPOP_SIGNATURE'
  | 'ERR_DPOP_HTM'
  | 'ERR_DPOP_HTU'
  | 'ERR_DPOP_IAT'
  | 'ERR_DPOP_REPLAY'
  | 'ERR_DPOP_ATH'
  | 'ERR_DPOP_JKT'
  | 'ERR_DPOP_NONCE'

/**
 * A proof that was refused. `oauthError` is `use_dpop_nonce` when the
 * server wants (another) nonce (§8, §9), otherwise `invalid_dpop_proof`.
 *
 * @example
 * try { verifyDpopProof(p, opts) } catch (e) { if (e instanceof DpopError) reply(400, e.oauthError, e.message) }
 */
export class DpopError extends Error {
  readonly code: DpopErrorCode
  readonly oauthError: 'invalid_dpop_proof' | 'use_dpop_nonce'
  constructor(code: DpopErrorCode, message: string) {
    super(message)
    this.name = 'DpopError'
    this.code = code
    this.oauthError = code === 'ERR_DPOP_NONCE' ? 'use_dpop_nonce' : 'invalid_dpop_proof'
  }
  /** Short metric label: `replay`, `iat`, `nonce`, … */
  get reason(): string {
    return this.code.slice('ERR_DPOP_'.length).toLowerCase()
  }
}

const CURVES: Partial<Record<DpopAlg, { kty: string; crv?: string }>> = {
  ES256: { kty: 'EC', crv: 'P-256' },
  ES384: { kty: 'EC', crv: 'P-384' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
  RS256: { kty: 'RSA' },
  PS256: { kty: 'RSA' },
}
const THUMBPRINT_MEMBERS: Record<string, readonly string[]> = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
  RSA: ['e', 'kty', 'n'],
}
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']

/**
 * The RFC 7638 SHA-256 thumbprint of a public JWK (base64url), the value of `cnf.jkt`.
 *
 * @example jwkThumbprint({ kty: 'EC', crv: 'P-256', x: '…', y: '…' }) // 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs'
 */
export function jwkThumbprint(jwk: PublicJwk): string {
  const members = THUMBPRINT_MEMBERS[jwk.kty ?? '']
  if (!members) throw new DpopError('ERR_DPOP_JWK', `unsupported "kty" ${JSON.stringify(jwk.kty)}`)
  const canonical: Record<string, string> = {}
  for (const m of members) {
    const v = jwk[m]
    if (typeof v !== 'string' || v === '') throw new DpopError('ERR_DPOP_JWK', `jwk is missing "${m}"`)
    canonical[m] = v
  }
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url')
}

/**
 * The `ath` claim: base64url(SHA-256(access token)), §4.2.
 *
 * @example ath('Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU') // 'fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo'
 */
export function ath(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest('base64url')
}

/**
 * A fresh DPoP key pair (ES256 unless told otherwise).
 *
 * @example const key = generateDpopKey() // key.jkt is what tokens get bound to
 */
export function generateDpopKey(alg: DpopAlg = 'ES256'): DpopKey {
  const spec = CURVES[alg]!
  const { privateKey } =
    spec.kty === 'EC'
      ? generateKeyPairSync('ec', { namedCurve: spec.crv! })
      : spec.kty === 'OKP'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 })
  return dpopKeyFrom(privateKey, alg)
}

/**
 * Wrap an existing private key (for example one a test generated with jose) as a DpopKey.
 *
 * @example dpopKeyFrom(createPrivateKey(pem), 'ES256')
 */
export function dpopKeyFrom(privateKey: KeyObject, alg: DpopAlg): DpopKey {
  const full = createPublicKey(privateKey).export({ format: 'jwk' }) as PublicJwk
  const members = THUMBPRINT_MEMBERS[full.kty ?? ''] ?? []
  const publicJwk: PublicJwk = {}
  for (const m of members) if (full[m] !== undefined) publicJwk[m] = full[m]
  checkKeyFitsAlg(publicJwk, alg)
  return { alg, privateKey, publicJwk, jkt: jwkThumbprint(publicJwk) }
}

/** What a proof says: the request it is for, and optionally the token and nonce. */
export interface DpopProofInput {
  readonly key: DpopKey
  /** The HTTP method (`POST`, `GET`). */
  readonly htm: string
  /** The target URI; query and fragment are dropped (§4.2). */
  readonly htu: string
  /** The access token the request carries; its hash goes in `ath`. */
  readonly accessToken?: string
  /** A precomputed `ath` (wins over `accessToken`). */
  readonly ath?: string
  /** The server's latest `DPoP-Nonce`. */
  readonly nonce?: string
  /** Issued-at, seconds since the epoch (default: now). */
  readonly iat?: number
  /** Unique id (default: 16 random bytes, base64url). */
  readonly jti?: string
}

const headerCache = new WeakMap<DpopKey, string>()

/**
 * Sign a DPoP proof JWT with node:crypto.
 *
 * @example
 * const proof = createDpopProof({ key, htm: 'POST', htu: 'http://127.0.0.1:4000/token' })
 * // send it as the `DPoP` header of that request
 */
export function createDpopProof(input: DpopProofInput): string {
  const { key } = input
  let header = headerCache.get(key)
  if (header === undefined) {
    header = b64json({ typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk })
    headerCache.set(key, header)
  }
  const claims: Record<string, string | number> = {
    jti: input.jti ?? randomBytes(16).toString('base64url'),
    htm: input.htm,
    htu: stripHtu(input.htu),
    iat: input.iat ?? Math.floor(Date.now() / 1000),
  }
  const boundAth = input.ath ?? (input.accessToken === undefined ? undefined : ath(input.accessToken))
  if (boundAth !== undefined) claims.ath = boundAth
  if (input.nonce !== undefined) claims.nonce = input.nonce
  const signingInput = `${header}.${b64json(claims)}`
  const signature = sign(hashOf(key.alg), Buffer.from(signingInput), signOptions(key.alg, key.privateKey))
  return `${signingInput}.${signature.toString('base64url')}`
}

/**
 * `htu` as §4.3 compares it: no query, no fragment, scheme and host lower
 * case, default port dropped, empty path as `/`. A value that is not an
 * absolute http(s) URI comes back as `undefined`.
 *
 * @example normalizeHtu('HTTP://Example.COM:80/token?x=1') // 'http://example.com/token'
 */
export function normalizeHtu(value: string): string | undefined {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return undefined
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined
  // WHATWG URL already lower-cases scheme and host and drops default ports.
  return `${url.protocol}//${url.host}${url.pathname || '/'}`
}

function stripHtu(value: string): string {
  const cut = value.search(/[?#]/)
  return cut === -1 ? value : value.slice(0, cut)
}

/**
 * The `jti` values seen recently, so a proof is accepted once (§11.1).
 * Bounded both ways: an entry lives `ttlMs` (set it to the `iat` window, after
 * which the proof is refused anyway) and at most `maxEntries` are kept — when
 * full the oldest is dropped and counted in `evictions`, so an operator can
 * see that the cache is too small for the traffic.
 *
 * @example
 * const cache = new DpopReplayCache({ maxEntries: 100_000, ttlMs: 300_000 })
 * cache.use('jkt:jti') // true the first time, false for a replay
 */
export class DpopReplayCache {
  readonly maxEntries: number
  readonly ttlMs: number
  /** Entries dropped because the cache was full before they expired. */
  evictions = 0
  readonly #now: () => number
  readonly #expiry = new Map<string, number>()
  constructor(options: { maxEntries?: number; ttlMs?: number; now?: () => number } = {}) {
    this.maxEntries = Math.max(1, options.maxEntries ?? 100_000)
    this.ttlMs = Math.max(1, options.ttlMs ?? 300_000)
    this.#now = options.now ?? Date.now
  }
  /** How many ids are held. */
  get size(): number {
    return this.#expiry.size
  }
  /** Record `id`; false when it was already used and has not expired (a replay). */
  use(id: string): boolean {
    const now = this.#now()
    this.#sweep(now)
    const until = this.#expiry.get(id)
    if (until !== undefined && until > now) return false
    this.#expiry.delete(id)
    if (this.#expiry.size >= this.maxEntries) {
      const oldest = this.#expiry.keys().next().value
      if (oldest !== undefined) this.#expiry.delete(oldest)
      this.evictions++
    }
    this.#expiry.set(id, now + this.ttlMs)
    return true
  }
  /** Forget everything (a control-plane reset). */
  clear(): void {
    this.#expiry.clear()
    this.evictions = 0
  }
  #sweep(now: number): void {
    // Insertion order is expiry order (one ttl for all), so expired ids are at the front.
    for (const [id, until] of this.#expiry) {
      if (until > now) break
      this.#expiry.delete(id)
    }
  }
}

/**
 * Server-provided nonces (§8 at the AS, §9 at the RS): one current nonce,
 * replaced every `lifetimeMs`; the previous one is still accepted so a
 * client racing the rotation is not refused twice.
 *
 * @example
 * const nonces = new DpopNonceSource({ lifetimeMs: 60_000 })
 * res.header('dpop-nonce', nonces.current())
 */
export class DpopNonceSource {
  lifetimeMs: number
  readonly #now: () => number
  #current = ''
  #previous = ''
  #rotatedAt = Number.NEGATIVE_INFINITY
  constructor(options: { lifetimeMs?: number; now?: () => number } = {}) {
    this.lifetimeMs = Math.max(1, options.lifetimeMs ?? 60_000)
    this.#now = options.now ?? Date.now
  }
  /** The nonce to hand out now (rotated when its lifetime has passed). */
  current(): string {
    const now = this.#now()
    if (now - this.#rotatedAt >= this.lifetimeMs) {
      // More than one lifetime gone: the previous nonce is stale too.
      this.#previous = now - this.#rotatedAt < 2 * this.lifetimeMs ? this.#current : ''
      this.#current = randomBytes(16).toString('base64url')
      this.#rotatedAt = now
    }
    return this.#current
  }
  /** True when `nonce` is the current or the previous nonce. */
  accepts(nonce: string): boolean {
    const current = this.current()
    return nonce !== '' && (safeEqual(nonce, current) || (this.#previous !== '' && safeEqual(nonce, this.#previous)))
  }
  /** Drop both nonces now (the next `current()` makes a new one). */
  rotate(): void {
    this.#rotatedAt = Number.NEGATIVE_INFINITY
    this.#current = ''
    this.#previous = ''
  }
}

/** What the server expects of a proof (§4.3). */
export interface DpopVerifyOptions {
  /** The request's method. */
  readonly htm: string
  /** The request's URI as the server is reached (normalised before comparing). */
  readonly htu: string
  /** At a resource: the access token presented; `ath` must be its hash. */
  readonly accessToken?: string
  /** At a resource: the token's `cnf.jkt`; the proof key must have this thumbprint. */
  readonly expectedJkt?: string
  /** When given, the proof must carry a nonce this source accepts, else `use_dpop_nonce`. */
  readonly nonce?: DpopNonceSource
  /** Seconds a proof's `iat` may lie behind and ahead of now. */
  readonly iatWindow: { readonly past: number; readonly future: number }
  /** Where used `jti`s are kept; a repeat is refused. */
  readonly replayCache: DpopReplayCache
  /** Accepted algorithms (default: all of {@link DPOP_ALGS}). */
  readonly algs?: readonly DpopAlg[]
  /** Now, in ms (default `Date.now`). */
  readonly now?: () => number
}

/** What an accepted proof tells the server. */
export interface DpopProofResult {
  readonly jkt: string
  readonly jti: string
  readonly iat: number
}

/**
 * Check a DPoP proof (RFC 9449 §4.3, plus `ath` and the key binding of §7).
 * Throws {@link DpopError}; the replay cache records the `jti` only once
 * everything else has passed.
 *
 * @example
 * const { jkt } = verifyDpopProof(req.headers.dpop, {
 *   htm: 'POST', htu: 'http://127.0.0.1:4000/token', iatWindow: { past: 60, future: 10 }, replayCache,
 * })
 */
export function verifyDpopProof(proof: unknown, options: DpopVerifyOptions): DpopProofResult {
  if (typeof proof !== 'string' || proof.length === 0)
    throw new DpopError('ERR_DPOP_MALFORMED', 'one DPoP header with a JWT is expected')
  if (proof.length > 8192) throw new DpopError('ERR_DPOP_MALFORMED', 'DPoP proof longer than 8192 characters')
  const parts = proof.split('.')
  if (parts.length !== 3) throw new DpopError('ERR_DPOP_MALFORMED', 'DPoP proof is not a compact JWS')
  const [h, p, s] = parts as [string, string, string]
  const header = decodeJson(h, 'header')
  const claims = decodeJson(p, 'payload')

  if (typeof header.typ !== 'string' || header.typ.toLowerCase() !== 'dpop+jwt')
    throw new DpopError('ERR_DPOP_TYP', `unexpected "typ" header value ${JSON.stringify(header.typ)}`)
  const algs = options.algs ?? DPOP_ALGS
  if (typeof header.alg !== 'string' || !(algs as readonly string[]).includes(header.alg))
    throw new DpopError('ERR_DPOP_ALG', `"alg" ${JSON.stringify(header.alg)} is not allowed (use ${algs.join(' ')})`)
  const alg = header.alg as DpopAlg
  if (header.crit !== undefined) throw new DpopError('ERR_DPOP_MALFORMED', 'unsupported "crit" header')
  const jwk = header.jwk
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk))
    throw new DpopError('ERR_DPOP_JWK', '"jwk" header must be a public JWK')
  const publicJwk = jwk as PublicJwk
  for (const m of PRIVATE_MEMBERS)
    if (m in publicJwk) throw new DpopError('ERR_DPOP_JWK', `"jwk" header holds the private member "${m}"`)
  checkKeyFitsAlg(publicJwk, alg)
  const jkt = jwkThumbprint(publicJwk)
  const publicKey = publicKeyOf(jkt, publicJwk)
  let valid: boolean
  try {
    valid = verify(
      hashOf(alg),
      Buffer.from(`${h}.${p}`),
      signOptions(alg, publicKey) as never,
      Buffer.from(s, 'base64url'),
    )
  } catch {
    valid = false
  }
  if (!valid) throw new DpopError('ERR_DPOP_SIGNATURE', 'DPoP proof signature does not verify')

  const { jti, htm, htu, iat } = claims
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256)
    throw new DpopError('ERR_DPOP_MALFORMED', '"jti" claim must be a non-empty string')
  if (typeof htm !== 'string') throw new DpopError('ERR_DPOP_HTM', '"htm" claim is missing')
  if (htm !== options.htm.toUpperCase())
    throw new DpopError('ERR_DPOP_HTM', `unexpected "htm" claim value (got ${JSON.stringify(htm)})`)
  if (typeof htu !== 'string') throw new DpopError('ERR_DPOP_HTU', '"htu" claim is missing')
  const got = normalizeHtu(htu)
  if (got === undefined || got !== normalizeHtu(options.htu))
    throw new DpopError('ERR_DPOP_HTU', `unexpected "htu" claim value (got ${JSON.stringify(htu)})`)
  if (typeof iat !== 'number' || !Number.isFinite(iat))
    throw new DpopError('ERR_DPOP_IAT', '"iat" claim must be a number')
  const now = (options.now ?? Date.now)() / 1000
  if (iat < now - options.iatWindow.past)
    throw new DpopError('ERR_DPOP_IAT', `"iat" claim is ${Math.round(now - iat)}s old`)
  if (iat > now + options.iatWindow.future)
    throw new DpopError('ERR_DPOP_IAT', `"iat" claim is ${Math.round(iat - now)}s in the future`)

  if (options.accessToken !== undefined) {
    if (typeof claims.ath !== 'string') throw new DpopError('ERR_DPOP_ATH', '"ath" claim is missing')
    if (!safeEqual(claims.ath, ath(options.accessToken)))
      throw new DpopError('ERR_DPOP_ATH', '"ath" claim does not match the access token')
  }
  if (options.expectedJkt !== undefined && !safeEqual(jkt, options.expectedJkt))
    throw new DpopError('ERR_DPOP_JKT', 'DPoP proof key does not match the key the token is bound to')
  if (options.nonce !== undefined) {
    if (typeof claims.nonce !== 'string') throw new DpopError('ERR_DPOP_NONCE', 'a DPoP nonce is required')
    if (!options.nonce.accepts(claims.nonce)) throw new DpopError('ERR_DPOP_NONCE', '"nonce" claim is stale or unknown')
  }
  if (!options.replayCache.use(`${jkt}:${jti}`))
    throw new DpopError('ERR_DPOP_REPLAY', `DPoP proof "jti" was already used`)
  return { jkt, jti, iat }
}

/*
 * Importing a JWK costs about as much as verifying a signature, and a client
 * signs many proofs with one key, so imported keys are kept by thumbprint
 * (RFC 7638 covers every public member the key is built from).
 */
const KEY_CACHE_MAX = 10_000
const keyCache = new Map<string, KeyObject>()

function publicKeyOf(jkt: string, jwk: PublicJwk): KeyObject {
  const cached = keyCache.get(jkt)
  if (cached) return cached
  let key: KeyObject
  try {
    key = createPublicKey({ key: jwk as never, format: 'jwk' })
  } catch {
    throw new DpopError('ERR_DPOP_JWK', '"jwk" header is not a valid public key')
  }
  if (keyCache.size >= KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value as string)
  keyCache.set(jkt, key)
  return key
}

function checkKeyFitsAlg(jwk: PublicJwk, alg: DpopAlg): void {
  const spec = CURVES[alg]
  if (jwk.kty === 'oct') throw new DpopError('ERR_DPOP_JWK', 'symmetric "jwk" (kty oct) is not allowed')
  if (!spec || jwk.kty !== spec.kty || (spec.crv !== undefined && jwk.crv !== spec.crv))
    throw new DpopError('ERR_DPOP_JWK', `"jwk" (kty ${jwk.kty}, crv ${jwk.crv}) does not fit "alg" ${alg}`)
}

function hashOf(alg: DpopAlg): string | null {
  return alg === 'EdDSA' ? null : alg === 'ES384' ? 'sha384' : 'sha256'
}

function signOptions(alg: DpopAlg, key: KeyObject) {
  if (alg === 'ES256' || alg === 'ES384') return { key, dsaEncoding: 'ieee-p1363' as const }
  if (alg === 'PS256') return { key, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: 32 }
  return key
}

function b64json(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

function decodeJson(part: string, what: string): Record<string, unknown> {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>
  } catch {}
  throw new DpopError('ERR_DPOP_MALFORMED', `DPoP proof ${what} is not a JSON object`)
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}
