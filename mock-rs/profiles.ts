/**
 * Named resource-server profiles. Each bundles the knobs of `options.ts` the
 * way a real library or a common hand-written pattern sets them, so a game
 * day can run the same fault against the resilient baseline and against the
 * weak profile it targets. Every weak profile differs from `resilient` only
 * where the library it imitates differs.
 */
import { Value } from '@sinclair/typebox/value'
import { GamedayError } from '../src/errors.ts'
import { type ProfileName, type RsKnobs, RsKnobsSchema } from './options.ts'

export interface RsProfile {
  /** One sentence, shown by `oauth-gameday list profiles`. */
  readonly summary: string
  /** The real library or pattern this profile behaves like. */
  readonly imitates: string
  /** Every knob, resolved. */
  readonly knobs: RsKnobs
}

/** The schema defaults: jose's createRemoteJWKSet values for the JWKS knobs. */
const defaults: RsKnobs = Value.Create(RsKnobsSchema) as RsKnobs

const resilient: RsKnobs = {
  ...defaults,
  jwksCacheMaxAge: '5m',
  refetchOnUnknownKid: true,
  refetchCooldown: '5s',
  fetchTimeout: '2s',
  staleIfError: true,
  clockTolerance: '30s',
  introspectionCacheTtl: '30s',
  cacheNegativeResults: true,
  honourRetryAfter: true,
  singleFlight: true,
  failOpen: false,
  failureStatus: 503,
}

/** The profiles, keyed by name. */
export const profiles: Record<ProfileName, RsProfile> = {
  resilient: {
    summary:
      'checks iss, aud, exp, scope and typ at+jwt (RFC 9068 §4), verifies DPoP proofs, ath and cnf.jkt with a replay cache and refuses a DPoP-bound token sent as bearer (RFC 9449 §7), refuses refresh tokens at introspection and query-string tokens, refetches the key set on an unknown kid (5 s cooldown), serves a stale key set when the JWKS fails, 30 s clock tolerance, 30 s introspection cache bounded by exp, honours Retry-After, fails closed with 503',
    imitates:
      'the recommended practice of RFC 9068 §4 / RFC 8725 with a jose remote key set tuned for rotation, plus a bounded single-flight introspection cache',
    // the other weak profiles spread `resilient` but keep dpop: ignore (the schema default); the dpop-* profiles verify
    knobs: { ...resilient, dpop: 'verify' },
  },
  'jose-defaults': {
    summary:
      'jose createRemoteJWKSet defaults: key set cached 10 min, refetch on unknown kid with a 30 s cooldown, 5 s timeout, no stale fallback, 0 s clock tolerance, 401 when the JWKS is unreachable',
    imitates:
      'panva/jose createRemoteJWKSet + jwtVerify with default options (cacheMaxAge 10m, cooldownDuration 30s, timeoutDuration 5s, clockTolerance 0)',
    knobs: {
      ...defaults,
      jwksCacheMaxAge: '10m',
      refetchOnUnknownKid: true,
      refetchCooldown: '30s',
      fetchTimeout: '5s',
      staleIfError: false,
      clockTolerance: '0s',
      // jwtVerify checks typ only when given the typ option
      allowJwtTyp: true,
      failureStatus: 401,
    },
  },
  'fixed-ttl': {
    summary:
      'caches the key set for its max age (15 min) and never refetches on an unknown kid: tokens signed with a new key fail until the cache expires',
    imitates:
      'a hand-rolled key cache refreshed on a timer (keys loaded at cold start, refreshed every N minutes), the pattern behind real post-rotation outages',
    knobs: { ...resilient, jwksCacheMaxAge: '15m', refetchOnUnknownKid: false },
  },
  'strict-clock': {
    summary:
      'resilient, except for a 0 s clock tolerance: a few seconds of skew between AS and RS reject fresh tokens as not yet valid or expired',
    imitates: 'validators whose clock tolerance defaults to zero (jose jwtVerify, many hand-written exp checks)',
    knobs: { ...resilient, clockTolerance: '0s' },
  },
  'no-introspection-cache': {
    summary:
      'introspects every request (no cache, no single-flight, ignores Retry-After) and answers 401 when introspection fails',
    imitates:
      "Spring Security's SpringOpaqueTokenIntrospector and most gateway introspection plugins with default settings (one introspection call per request)",
    knobs: {
      ...resilient,
      mode: 'introspection',
      introspectionCacheTtl: '0s',
      cacheNegativeResults: false,
      honourRetryAfter: false,
      singleFlight: false,
      failureStatus: 401,
    },
  },
  'long-introspection-cache': {
    summary:
      'caches introspection results for 5 min (still bounded by exp): a revoked token keeps working until its cache entry expires',
    imitates: 'an API gateway or reverse proxy caching introspection answers for a fixed 5 minutes keyed on the token',
    knobs: { ...resilient, mode: 'introspection', introspectionCacheTtl: '5m', cacheNegativeResults: true },
  },
  'fail-open': {
    summary:
      'INSECURE: accepts any token when introspection fails (timeout, 429, 5xx); each acceptance is counted so the harness can flag it',
    imitates:
      'a catch-all error handler around the introspection call that lets the request through (CWE-636, not failing securely)',
    knobs: {
      ...resilient,
      mode: 'introspection',
      introspectionCacheTtl: '0s',
      cacheNegativeResults: false,
      honourRetryAfter: false,
      singleFlight: false,
      failOpen: true,
      failureStatus: 401,
    },
  },
  'lax-claims': {
    summary:
      "INSECURE: checks the signature only: any iss, any aud, typ JWT or none, no exp required; a token of another issuer's tenant or another RS passes",
    imitates:
      'panva/jose jwtVerify(token, JWKS) with no options (no issuer, audience, typ or requiredClaims), the common copy-paste verifier',
    knobs: { ...resilient, checkIssuer: false, checkAudience: false, requireExp: false, allowJwtTyp: true },
  },
  'no-scope-check': {
    summary:
      'INSECURE: validates the token but never checks its scope: any valid token reaches every route (RFC 6750 §3.1 wants 403 insufficient_scope)',
    imitates:
      'a middleware that authenticates (express-oauth2-jwt-bearer auth() alone, Spring .authenticated()) with no per-route scope check (requiredScopes, hasAuthority)',
    knobs: { ...resilient, checkScope: false },
  },
  'dpop-as-bearer': {
    summary:
      'INSECURE: resilient, except that DPoP binding is ignored: `Authorization: DPoP` is read like Bearer, the proof is not verified and a DPoP-bound token sent as bearer passes, so a stolen bound token works for anyone (RFC 9449 §7.2 forbids it)',
    imitates:
      'an API gateway or middleware that strips the DPoP header and forwards the token as a bearer token (the downgrade teams meet when only the AS is DPoP-aware)',
    knobs: { ...resilient, dpop: 'as-bearer' },
  },
  'dpop-no-replay-cache': {
    summary:
      'INSECURE: resilient, except that it keeps no DPoP jti replay cache: proofs, ath and cnf.jkt are verified but a captured proof works again until its iat window closes (RFC 9449 §11.1)',
    imitates:
      'a verifier that checks the proof signature and claims but skips the jti check, or keeps its replay cache in one process of a fleet',
    knobs: { ...resilient, dpop: 'verify', dpopReplayCache: false },
  },
  'dpop-strict-clock': {
    summary:
      'resilient, except for a 5 s DPoP proof iat window each way (resilient: 60 s past, 10 s future): honest clients whose clocks are a few seconds off have their proofs refused as invalid_dpop_proof (RFC 9449 §11.1)',
    imitates:
      'a verifier configured with a tight proof lifetime and no clock leeway (a 5 s maxTokenAge, a hand-written |now - iat| < 5 check)',
    knobs: { ...resilient, dpop: 'verify', dpopIatPast: '5s', dpopIatFuture: '5s' },
  },
}

/** The profile used when none is named. */
export const DEFAULT_PROFILE: ProfileName = 'resilient'

/**
 * Resolve the knobs of a profile with overrides on top, validated against the schema.
 *
 * @example
 * ```ts
 * const knobs = resolveKnobs('fixed-ttl', { jwksCacheMaxAge: '20s' })
 * ```
 */
export function resolveKnobs(profile: ProfileName = DEFAULT_PROFILE, overrides: Partial<RsKnobs> = {}): RsKnobs {
  const base = profiles[profile]
  if (!base) {
    throw new GamedayError('ERR_CONFIG_INVALID', `profile: unknown profile ${JSON.stringify(profile)}`, {
      hint: `use one of ${Object.keys(profiles).join(', ')}`,
    })
  }
  const knobs = { ...base.knobs, ...stripUndefined(overrides) }
  const issues = [...Value.Errors(RsKnobsSchema, knobs)].map(
    (e) => `knobs${e.path.replaceAll('/', '.')}: ${e.message} (got ${JSON.stringify(e.value)})`,
  )
  if (issues.length > 0) {
    throw new GamedayError('ERR_CONFIG_INVALID', issues[0]!, { details: issues })
  }
  for (const alg of knobs.algorithms) {
    if (alg === 'none' || /^HS/i.test(alg)) {
      throw new GamedayError(
        'ERR_CONFIG_INVALID',
        `knobs.algorithms: ${JSON.stringify(alg)} is never accepted by a resource server`,
        {
          hint: 'use asymmetric algorithms only (ES256, RS256, PS256, EdDSA)',
        },
      )
    }
  }
  return knobs
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}

/** True when `name` is a profile of {@link profiles} (for input from a flag or a file). */
export function isProfileName(name: string): name is ProfileName {
  return Object.hasOwn(profiles, name)
}
