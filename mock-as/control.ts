/** The control contract of mock-as: its chaos API (`/_chaos`), as the harness drives it. */
import type { EventFeed } from '../src/util/component/events.ts'

export type RotationMode = 'publish-then-sign' | 'sign-before-publish' | 'drop-old-early' | 'wrong-alg'

export interface RotateRequest {
  mode: RotationMode
  /** publish-then-sign: time between publishing the new key and signing with it. */
  leadTime?: string
  /** publish-then-sign: how long the old key stays published after the switch. */
  retireAfter?: string
  /** sign-before-publish: how long the new kid stays absent from the JWKS. */
  unpublishedFor?: string
  /** Algorithm of the new key (default: the configured one). */
  alg?: string
}

export interface RotateResult {
  oldKid: string
  newKid: string
  /** Epoch ms the new key is (or will be) published. */
  publishAt: number
  /** Epoch ms signing with the new key starts. */
  signAt: number
}

/**
 * A token minted by `POST /_chaos/mint`: an access token signed with the
 * current key whose claims and `typ` the caller chooses (the jwt-attacks
 * probe's expired, foreign-audience or typ-JWT tokens).
 */
export interface MintRequest {
  /** Claims merged over the defaults (iss, sub, aud, iat, nbf, exp, jti, client_id, scope); null removes one. */
  claims?: Record<string, unknown>
  /** `typ` header; null: no typ; default the configured access-token typ. */
  typ?: string | null
}

export interface MintResult {
  token: string
  jti: string | null
  kid: string
}

/** DPoP knobs of the token endpoint (`PUT /_chaos/dpop`); an omitted key keeps its value, reset restores the config. */
export interface DpopKnobs {
  /** Require a server nonce in every proof (RFC 9449 §8). */
  nonceRequired?: boolean
  /** How long a nonce is handed out before it is replaced (the previous one stays valid one more lifetime). */
  nonceLifetimeMs?: number
  /** Seconds a proof iat may be behind the AS clock. */
  iatPastSeconds?: number
  /** Seconds a proof iat may be ahead of the AS clock. */
  iatFutureSeconds?: number
  /** false: no jti replay detection. */
  replayCacheEnabled?: boolean
  /** jti values kept at most. */
  replayCacheMaxEntries?: number
  /** Accepted proof algorithms. */
  algs?: string[]
}

/** mock-as chaos control (`/_chaos`). */
export interface AsControl extends EventFeed {
  rotate(req: RotateRequest): Promise<RotateResult>
  setClockOffset(seconds: number): Promise<void>
  /** grantType '*' or omitted: every grant. */
  setTokenLatency(opts: { grantType?: string; fixedMs: number; jitterMs?: number }): Promise<void>
  setTokenErrors(opts: { grantType?: string; status: number; ratio: number }): Promise<void>
  /** CPU time burnt per token request (for capacity tests with a known knee). */
  setTokenCost(opts: { cpuMs: number }): Promise<void>
  setIntrospectionRateLimit(opts: { rate: number; burst: number } | null): Promise<void>
  setRefreshReuseDetection(enabled: boolean): Promise<void>
  /** Move the DPoP knobs; returns the settings now in force. */
  setDpop(knobs: DpopKnobs): Promise<Required<DpopKnobs>>
  /** Which `aud` a private_key_jwt assertion may carry: the issuer alone, or the issuer or the token endpoint URL. */
  setAssertionAudience(audience: 'issuer' | 'issuer-or-token-endpoint'): Promise<void>
  revoke(opts: { clientId?: string; sub?: string }): Promise<{ revoked: number }>
  /** Mint an access token with chosen claims (see {@link MintRequest}). */
  mint(req: MintRequest): Promise<MintResult>
  state(): Promise<Record<string, unknown>>
  reset(): Promise<void>
}
