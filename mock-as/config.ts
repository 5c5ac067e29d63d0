/**
 * mock-as configuration: one TypeBox schema that validates the YAML/JSON
 * config file, the `authorizationServer` section of a scenario, and types the
 * code. Every key has a default; unknown keys are errors.
 */
import { type Static, Type } from '@sinclair/typebox'

const Duration = (description: string, def: string) =>
  Type.String({ pattern: '^(\\d+(\\.\\d+)?(us|ms|s|m|h|d))+$', description, default: def })

export const SigningAlg = Type.Union(
  [Type.Literal('ES256'), Type.Literal('RS256'), Type.Literal('PS256'), Type.Literal('EdDSA')],
  { description: 'JWS algorithm of the signing key', default: 'ES256' },
)

export const GrantType = Type.Union([
  Type.Literal('client_credentials'),
  Type.Literal('authorization_code'),
  Type.Literal('refresh_token'),
  Type.Literal('urn:ietf:params:oauth:grant-type:device_code'),
])

export const ClientConfig = Type.Object(
  {
    clientId: Type.String({ minLength: 1, description: 'client_id' }),
    clientSecret: Type.Optional(Type.String({ minLength: 1, description: 'secret for client_secret_basic / client_secret_post; absent for public clients' })),
    public: Type.Boolean({ default: false, description: 'a public client (no secret; PKCE S256 required)' }),
    redirectUris: Type.Array(Type.String(), { default: [], description: 'exact redirect URIs (loopback port variance allowed for native clients)' }),
    grantTypes: Type.Array(GrantType, { default: ['client_credentials'], description: 'grants this client may use' }),
    scopes: Type.Array(Type.String(), { default: [], description: 'scopes this client may request' }),
    audience: Type.Optional(Type.String({ description: 'default audience (aud) of its access tokens when no RFC 8707 resource is sent' })),
    tokenFormat: Type.Union([Type.Literal('jwt'), Type.Literal('opaque')], { default: 'jwt', description: 'access token format' }),
  },
  { additionalProperties: false },
)

export const UserConfig = Type.Object(
  {
    username: Type.String({ minLength: 1 }),
    password: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
)

export const AsConfigSchema = Type.Object(
  {
    issuer: Type.Optional(Type.String({ description: 'issuer URL; default: derived from the listen address' })),
    accessTokenTtl: Duration('access token lifetime', '300s'),
    refreshTokenTtl: Duration('refresh token lifetime', '1d'),
    codeTtl: Duration('authorization code lifetime', '60s'),
    deviceCodeTtl: Duration('device code lifetime (RFC 8628)', '600s'),
    devicePollInterval: Duration('minimum polling interval for the device grant', '5s'),
    refreshReuseGrace: Duration('grace window in which the immediately previous refresh token is still accepted', '0s'),
    refreshReuseDetection: Type.Boolean({ default: true, description: 'revoke the whole family when a rotated refresh token is presented (RFC 9700 §4.14.2); false models an AS without reuse detection' }),
    signing: Type.Object({ alg: SigningAlg }, { additionalProperties: false, default: { alg: 'ES256' } }),
    accessTokenTyp: Type.Union([Type.Literal('at+jwt'), Type.Literal('JWT')], { default: 'at+jwt', description: 'JWT typ header of access tokens (RFC 9068 says at+jwt)' }),
    jwksMaxAge: Duration('Cache-Control max-age on the JWKS', '300s'),
    clients: Type.Optional(Type.Array(ClientConfig, { description: 'registered clients; absent: the documented ready set (svc, spa, device, rs)' })),
    users: Type.Optional(Type.Array(UserConfig, { description: 'users who can log in; absent: alice/wonderland' })),
  },
  { additionalProperties: false },
)

export type AsConfig = Static<typeof AsConfigSchema>
export type ClientConfig = Static<typeof ClientConfig>
export type UserConfig = Static<typeof UserConfig>

/** The ready set of clients used when a config names none. */
export const DEFAULT_CLIENTS: ClientConfig[] = [
  { clientId: 'svc', clientSecret: 'svc-secret', public: false, redirectUris: [], grantTypes: ['client_credentials'], scopes: ['orders:read', 'orders:write'], audience: 'https://api.example', tokenFormat: 'jwt' },
  { clientId: 'svc-opaque', clientSecret: 'svc-opaque-secret', public: false, redirectUris: [], grantTypes: ['client_credentials'], scopes: ['orders:read', 'orders:write'], audience: 'https://api.example', tokenFormat: 'opaque' },
  { clientId: 'spa', public: true, redirectUris: ['http://127.0.0.1:5173/cb'], grantTypes: ['authorization_code', 'refresh_token'], scopes: ['orders:read'], audience: 'https://api.example', tokenFormat: 'jwt' },
  { clientId: 'web', clientSecret: 'web-secret', public: false, redirectUris: ['http://127.0.0.1:5173/cb'], grantTypes: ['authorization_code', 'refresh_token'], scopes: ['orders:read', 'orders:write'], audience: 'https://api.example', tokenFormat: 'jwt' },
  { clientId: 'device', public: true, redirectUris: [], grantTypes: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'], scopes: ['orders:read'], audience: 'https://api.example', tokenFormat: 'jwt' },
  { clientId: 'rs', clientSecret: 'rs-secret', public: false, redirectUris: [], grantTypes: [], scopes: [], tokenFormat: 'jwt' },
]

export const DEFAULT_USERS: UserConfig[] = [{ username: 'alice', password: 'wonderland' }]
