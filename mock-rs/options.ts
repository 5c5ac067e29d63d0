/**
 * mock-rs options: every knob that makes real resource-server libraries
 * differ, and the named profiles that bundle them. One TypeBox schema types
 * the code, validates `serve rs` flags and the `resourceServers[].options`
 * section of a scenario.
 */
import { type Static, Type } from '@sinclair/typebox'

const Duration = (description: string, def: string) =>
  Type.String({ pattern: '^(\\d+(\\.\\d+)?(us|ms|s|m|h|d))+$', description, default: def })

export const RsKnobsSchema = Type.Object(
  {
    mode: Type.Union([Type.Literal('jwt'), Type.Literal('introspection')], {
      default: 'jwt',
      description: 'local JWT validation against the JWKS, or RFC 7662 introspection',
    }),
    jwksCacheMaxAge: Duration('how long a fetched key set is used before it is fetched again', '10m'),
    refetchOnUnknownKid: Type.Boolean({
      default: true,
      description: 'fetch the key set again when a token names a kid it does not hold',
    }),
    refetchCooldown: Duration('minimum time between two key-set fetches caused by unknown kids', '30s'),
    fetchTimeout: Duration('timeout of a JWKS or introspection call', '5s'),
    staleIfError: Type.Boolean({ default: false, description: 'keep using the last key set when a JWKS fetch fails' }),
    clockTolerance: Duration('tolerance applied to exp and nbf', '0s'),
    checkAudience: Type.Boolean({ default: true, description: 'require aud to contain the RS audience' }),
    checkIssuer: Type.Boolean({ default: true, description: 'require iss to be the issuer the RS trusts' }),
    requireExp: Type.Boolean({
      default: true,
      description: 'refuse a JWT without exp (RFC 9068 §2.2 makes it required)',
    }),
    checkScope: Type.Boolean({
      default: true,
      description: "answer 403 insufficient_scope when the token lacks the route's scope (RFC 6750 §3.1)",
    }),
    allowJwtTyp: Type.Boolean({
      default: false,
      description: 'also accept typ "JWT" or no typ, besides "at+jwt" (RFC 9068 §4 wants at+jwt)',
    }),
    checkTokenType: Type.Boolean({
      default: true,
      description:
        'introspection: refuse a token whose token_type is present and not an access token (a refresh token sent as a bearer token)',
    }),
    allowQueryToken: Type.Boolean({
      default: false,
      description:
        'accept ?access_token= in the query (RFC 6750 §2.3; RFC 9700 §4.3.2 and FAPI 2.0 forbid it), answered with Cache-Control: private',
    }),
    algorithms: Type.Array(Type.String(), {
      default: ['ES256', 'RS256', 'PS256', 'EdDSA'],
      description: 'accepted JWS algorithms (never none, never HS*)',
    }),
    introspectionCacheTtl: Duration('how long an introspection result is cached (never past exp); 0s disables', '0s'),
    cacheNegativeResults: Type.Boolean({ default: false, description: 'also cache active:false answers' }),
    honourRetryAfter: Type.Boolean({
      default: false,
      description: 'after a 429 or 503, do not call the validator again before Retry-After',
    }),
    singleFlight: Type.Boolean({
      default: false,
      description: 'coalesce identical in-flight introspections into one call',
    }),
    failOpen: Type.Boolean({
      default: false,
      description: 'INSECURE: accept tokens when introspection fails (for detection only)',
    }),
    dpop: Type.Union([Type.Literal('verify'), Type.Literal('as-bearer'), Type.Literal('ignore')], {
      default: 'ignore',
      description:
        'verify: accept `Authorization: DPoP` with a valid proof (RFC 9449 §7: proof, ath, cnf.jkt, replay, optional nonce) and refuse a DPoP-bound token sent as bearer; as-bearer: INSECURE, the gateway downgrade: the DPoP scheme is read like Bearer, proofs and cnf.jkt are not looked at and a bound token sent as bearer passes; ignore: know nothing of DPoP (the DPoP scheme carries no credentials, cnf is not looked at)',
    }),
    dpopAlgorithms: Type.Array(Type.Union(['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256'].map((a) => Type.Literal(a))), {
      minItems: 1,
      default: ['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256'],
      description: 'proof algorithms accepted (the `algs` of the DPoP challenge)',
    }),
    dpopIatPast: Duration('how old a proof iat may be', '60s'),
    dpopIatFuture: Duration('how far ahead of the RS clock a proof iat may be', '10s'),
    dpopNonce: Type.Boolean({
      default: false,
      description: 'require an RS-provided nonce in proofs (RFC 9449 §9: 401 use_dpop_nonce + DPoP-Nonce)',
    }),
    dpopNonceLifetime: Duration('how long an RS nonce is handed out before a new one replaces it', '5m'),
    dpopReplayCache: Type.Boolean({
      default: true,
      description:
        'keep each proof jti for the iat window and refuse a repeat (RFC 9449 §11.1); false: INSECURE, a captured proof can be replayed within its window',
    }),
    dpopReplayCacheMaxEntries: Type.Integer({
      minimum: 1,
      default: 100_000,
      description: 'proof jti values kept at most (each for the iat window); the oldest is dropped when full',
    }),
    failureStatus: Type.Union([Type.Literal(401), Type.Literal(503)], {
      default: 401,
      description: 'status when the validator is unavailable: 503 + Retry-After (resilient) or 401 (storm-prone)',
    }),
  },
  { additionalProperties: false },
)

export type RsKnobs = Static<typeof RsKnobsSchema>

export const ProfileName = Type.Union(
  [
    Type.Literal('resilient'),
    Type.Literal('jose-defaults'),
    Type.Literal('fixed-ttl'),
    Type.Literal('strict-clock'),
    Type.Literal('no-introspection-cache'),
    Type.Literal('long-introspection-cache'),
    Type.Literal('fail-open'),
    Type.Literal('lax-claims'),
    Type.Literal('no-scope-check'),
    Type.Literal('dpop-as-bearer'),
    Type.Literal('dpop-no-replay-cache'),
    Type.Literal('dpop-strict-clock'),
  ],
  { description: 'a named bundle of knobs (see the README for the library each imitates)' },
)
export type ProfileName = Static<typeof ProfileName>
