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
    allowJwtTyp: Type.Boolean({ default: true, description: 'accept typ "JWT" besides "at+jwt"' }),
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
  ],
  { description: 'a named bundle of knobs (see the README for the library each imitates)' },
)
export type ProfileName = Static<typeof ProfileName>
