/**
 * DPoP at the token endpoint (RFC 9449 §5, §8): the proof of a token request
 * is checked with src/oauth/dpop.ts against the advertised token endpoint
 * URL, and its key thumbprint becomes the `cnf.jkt` of what is issued. A
 * client registered with `dpopBoundAccessTokens` (RFC 9449 §5.2
 * `dpop_bound_access_tokens`) must send a proof. Server nonces are off by
 * default; with `nonce.required` a proof without the current nonce gets
 * 400 `use_dpop_nonce` and a `DPoP-Nonce` header (§8). The knobs move at
 * runtime through `PUT /_chaos/dpop`.
 */
import {
  DPOP_ALGS,
  type DpopAlg,
  DpopError,
  DpopNonceSource,
  DpopReplayCache,
  verifyDpopProof,
} from '../src/oauth/dpop.ts'
import { durationMs } from '../src/util/duration.ts'
import type { AsConfig, ClientConfig } from './config.ts'
import { OAuthError } from './oauth-error.ts'

/** The DPoP settings in force (config values, moved by `PUT /_chaos/dpop`). */
export interface AsDpopSettings {
  algs: DpopAlg[]
  /** Seconds a proof's iat may be behind / ahead of the AS clock. */
  iatPastSeconds: number
  iatFutureSeconds: number
  nonceRequired: boolean
  nonceLifetimeMs: number
  /** false: no jti replay detection (an AS without a shared replay cache). */
  replayCacheEnabled: boolean
  replayCacheMaxEntries: number
}

/** The DPoP state of one mock-as. */
export interface AsDpop {
  settings: AsDpopSettings
  replay: DpopReplayCache
  nonces: DpopNonceSource
  /** Proofs refused, by reason (`replay`, `iat`, `nonce`, …), for /_chaos/state. */
  rejected: Record<string, number>
}

/** The settings a config asks for. */
export function dpopSettings(config: AsConfig): AsDpopSettings {
  const d = config.dpop
  return {
    algs: [...d.algs],
    iatPastSeconds: durationMs(d.iatWindow.past) / 1000,
    iatFutureSeconds: durationMs(d.iatWindow.future) / 1000,
    nonceRequired: d.nonce.required,
    nonceLifetimeMs: durationMs(d.nonce.lifetime),
    replayCacheEnabled: d.replayCache.enabled,
    replayCacheMaxEntries: d.replayCache.maxEntries,
  }
}

/** Fresh DPoP state for settings; `now` is the (skewed) AS clock. */
export function createAsDpop(settings: AsDpopSettings, now: () => number): AsDpop {
  return {
    settings,
    replay: new DpopReplayCache({
      maxEntries: settings.replayCacheMaxEntries,
      ttlMs: (settings.iatPastSeconds + settings.iatFutureSeconds) * 1000 + 1000,
      now,
    }),
    nonces: new DpopNonceSource({ lifetimeMs: settings.nonceLifetimeMs, now }),
    rejected: {},
  }
}

/** Every algorithm the AS can accept (the allow-list of the config schema). */
export const AS_DPOP_ALGS = DPOP_ALGS

/** Headers of a successful DPoP token response (the next nonce, when nonces are on). */
export function dpopResponseHeaders(dpop: AsDpop): Record<string, string> {
  return dpop.settings.nonceRequired ? { 'dpop-nonce': dpop.nonces.current() } : {}
}

/**
 * Check the DPoP proof of a token request. Returns the key thumbprint to
 * bind tokens to, or undefined for a request without a proof (a bearer
 * client). Throws an OAuthError `invalid_dpop_proof` / `use_dpop_nonce`.
 */
export function tokenRequestBinding(
  dpop: AsDpop,
  proof: string | string[] | undefined,
  client: ClientConfig,
  tokenEndpoint: string,
  now: () => number,
): string | undefined {
  if (proof === undefined) {
    if (client.dpopBoundAccessTokens)
      throw refused(dpop, new DpopError('ERR_DPOP_MALFORMED', 'this client must send a DPoP proof'))
    return undefined
  }
  const s = dpop.settings
  try {
    return verifyDpopProof(proof, {
      htm: 'POST',
      htu: tokenEndpoint,
      iatWindow: { past: s.iatPastSeconds, future: s.iatFutureSeconds },
      replayCache: s.replayCacheEnabled ? dpop.replay : NO_REPLAY_CACHE,
      algs: s.algs,
      now,
      ...(s.nonceRequired ? { nonce: dpop.nonces } : {}),
    }).jkt
  } catch (err) {
    if (err instanceof DpopError) throw refused(dpop, err)
    throw err
  }
}

/** A cache that remembers nothing: every jti is new. */
const NO_REPLAY_CACHE = new (class extends DpopReplayCache {
  override use(): boolean {
    return true
  }
})()

function refused(dpop: AsDpop, err: DpopError): OAuthError {
  dpop.rejected[err.reason] = (dpop.rejected[err.reason] ?? 0) + 1
  const headers = dpop.settings.nonceRequired ? { 'dpop-nonce': dpop.nonces.current() } : undefined
  return new OAuthError(err.oauthError, err.message, headers ? { headers } : {})
}
