/**
 * mock-as configuration: one TypeBox schema that validates the YAML/JSON
 * config file, the `authorizationServer` section of a scenario, and types the
 * code. Every key has a default; unknown keys are errors.
 */
import { readFileSync } from 'node:fs'
import { type Static, Type } from '@sinclair/typebox'
import { Value, ValueErrorType } from '@sinclair/typebox/value'
import { parse as parseYaml } from 'yaml'
import { GamedayError } from '../src/errors.ts'
import { durationMs } from '../src/util/duration.ts'

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
    clientSecret: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'secret for client_secret_basic / client_secret_post; absent for public clients',
      }),
    ),
    public: Type.Boolean({ default: false, description: 'a public client (no secret; PKCE S256 required)' }),
    redirectUris: Type.Array(Type.String(), {
      default: [],
      description: 'exact redirect URIs (loopback port variance allowed for native clients)',
    }),
    grantTypes: Type.Array(GrantType, { default: ['client_credentials'], description: 'grants this client may use' }),
    scopes: Type.Array(Type.String(), { default: [], description: 'scopes this client may request' }),
    audience: Type.Optional(
      Type.String({ description: 'default audience (aud) of its access tokens when no RFC 8707 resource is sent' }),
    ),
    tokenFormat: Type.Union([Type.Literal('jwt'), Type.Literal('opaque')], {
      default: 'jwt',
      description: 'access token format',
    }),
    tokenEndpointAuthMethod: Type.Optional(
      Type.Union(
        [
          Type.Literal('client_secret_basic'),
          Type.Literal('client_secret_post'),
          Type.Literal('private_key_jwt'),
          Type.Literal('none'),
        ],
        {
          description:
            'how the client authenticates (RFC 7591); default: client_secret_basic or _post with a secret, private_key_jwt with jwks, none for a public client. private_key_jwt without jwks in a scenario: the harness generates a key pair per run',
        },
      ),
    ),
    jwks: Type.Optional(
      Type.Object(
        { keys: Type.Array(Type.Record(Type.String(), Type.Unknown()), { minItems: 1, maxItems: 10 }) },
        {
          additionalProperties: false,
          description: 'public keys (RFC 7517 JWK Set) that verify its private_key_jwt client assertions (RFC 7523)',
        },
      ),
    ),
    requirePushedAuthorizationRequests: Type.Optional(
      Type.Boolean({
        description: 'refuse /authorize requests that did not go through /par first (RFC 9126 §6); default false',
      }),
    ),
    introspect: Type.Optional(
      Type.Boolean({
        description:
          "may introspect other clients' tokens (RFC 7662 §2.1, §4); default: true for a client with no grant types (a resource server), false otherwise",
      }),
    ),
    dpopBoundAccessTokens: Type.Optional(
      Type.Boolean({
        description:
          'RFC 9449 §5.2 dpop_bound_access_tokens: the client must send a DPoP proof with every token request (invalid_dpop_proof otherwise); default false',
      }),
    ),
  },
  { additionalProperties: false },
)

const DPOP_ALG_NAMES = ['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256'] as const

/** DPoP (RFC 9449) at the token endpoint; every key is also a runtime knob (`PUT /_chaos/dpop`). */
export const DpopConfig = Type.Object(
  {
    algs: Type.Array(Type.Union(DPOP_ALG_NAMES.map((a) => Type.Literal(a))), {
      minItems: 1,
      default: [...DPOP_ALG_NAMES],
      description: 'proof algorithms accepted (dpop_signing_alg_values_supported)',
    }),
    iatWindow: Type.Object(
      {
        past: Duration('how old a proof iat may be (FAPI 2.0 asks at most 60 s)', '60s'),
        future: Duration('how far ahead of the AS clock a proof iat may be (FAPI 2.0 asks at most 10 s)', '10s'),
      },
      { additionalProperties: false, default: { past: '60s', future: '10s' } },
    ),
    nonce: Type.Object(
      {
        required: Type.Boolean({
          default: false,
          description: 'require a server nonce in every proof (RFC 9449 §8: use_dpop_nonce + DPoP-Nonce)',
        }),
        lifetime: Duration('how long a nonce is handed out before a new one replaces it', '5m'),
      },
      { additionalProperties: false, default: { required: false, lifetime: '5m' } },
    ),
    replayCache: Type.Object(
      {
        enabled: Type.Boolean({
          default: true,
          description: 'refuse a proof whose jti was seen (false models an AS without a replay cache)',
        }),
        maxEntries: Type.Integer({
          minimum: 1,
          default: 100_000,
          description: 'jti values kept at most (the oldest is dropped when full); each lives for the iat window',
        }),
      },
      { additionalProperties: false, default: { enabled: true, maxEntries: 100_000 } },
    ),
  },
  {
    additionalProperties: false,
    default: {
      algs: [...DPOP_ALG_NAMES],
      iatWindow: { past: '60s', future: '10s' },
      nonce: { required: false, lifetime: '5m' },
      replayCache: { enabled: true, maxEntries: 100_000 },
    },
  },
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
    refreshReuseDetection: Type.Boolean({
      default: true,
      description:
        'revoke the whole family when a rotated refresh token is presented (RFC 9700 §4.14.2); false models an AS without reuse detection',
    }),
    signing: Type.Object({ alg: SigningAlg }, { additionalProperties: false, default: { alg: 'ES256' } }),
    accessTokenTyp: Type.Union([Type.Literal('at+jwt'), Type.Literal('JWT')], {
      default: 'at+jwt',
      description: 'JWT typ header of access tokens (RFC 9068 says at+jwt)',
    }),
    jwksMaxAge: Duration('Cache-Control max-age on the JWKS', '300s'),
    resources: Type.Object(
      {
        allowed: Type.Array(Type.String(), {
          default: [],
          description:
            "RFC 8707 resources tokens may be issued for, besides every client audience (the harness adds the stack's RS audiences)",
        }),
        allowAny: Type.Boolean({
          default: false,
          description:
            'INSECURE: issue tokens for any resource instead of invalid_target (RFC 8707 §2), for detection rows',
        }),
      },
      { additionalProperties: false, default: { allowed: [], allowAny: false } },
    ),
    clientAssertion: Type.Object(
      {
        audience: Type.Union([Type.Literal('issuer-or-token-endpoint'), Type.Literal('issuer')], {
          default: 'issuer-or-token-endpoint',
          description:
            'the aud a private_key_jwt assertion may carry: the issuer or the token endpoint URL, or (FAPI 2.0) the issuer alone',
        }),
        maxLifetime: Duration("longest accepted time between now and an assertion's exp", '300s'),
        clockTolerance: Duration("clock difference tolerated on an assertion's exp, iat and nbf", '5s'),
        replayCacheSize: Type.Integer({
          minimum: 1,
          maximum: 10_000_000,
          default: 200_000,
          description: 'jti values remembered until their assertion expires; a full cache refuses new assertions',
        }),
      },
      {
        additionalProperties: false,
        default: {},
        description: 'private_key_jwt client authentication (RFC 7523)',
      },
    ),
    par: Type.Object(
      {
        requestUriTtl: Duration('lifetime of a pushed request_uri (RFC 9126 §2.2; under 600s)', '60s'),
      },
      { additionalProperties: false, default: {}, description: 'pushed authorization requests (RFC 9126)' },
    ),
    introspection: Type.Object(
      {
        anyClient: Type.Boolean({
          default: false,
          description:
            "INSECURE: any authenticated client may introspect any client's tokens (RFC 7662 §4 token scanning), for detection rows",
        }),
      },
      { additionalProperties: false, default: { anyClient: false } },
    ),
    dpop: DpopConfig,
    clients: Type.Optional(
      Type.Array(ClientConfig, {
        description: 'registered clients; absent: the documented ready set (svc, spa, device, rs)',
      }),
    ),
    users: Type.Optional(Type.Array(UserConfig, { description: 'users who can log in; absent: alice/wonderland' })),
  },
  { additionalProperties: false },
)

export type AsConfig = Static<typeof AsConfigSchema>
export type ClientConfig = Static<typeof ClientConfig>
export type UserConfig = Static<typeof UserConfig>

/** The ready set of clients used when a config names none. */
export const DEFAULT_CLIENTS: ClientConfig[] = [
  {
    clientId: 'svc',
    clientSecret: 'svc-secret',
    public: false,
    redirectUris: [],
    grantTypes: ['client_credentials'],
    scopes: ['orders:read', 'orders:write'],
    audience: 'https://api.example',
    tokenFormat: 'jwt',
  },
  {
    clientId: 'svc-opaque',
    clientSecret: 'svc-opaque-secret',
    public: false,
    redirectUris: [],
    grantTypes: ['client_credentials'],
    scopes: ['orders:read', 'orders:write'],
    audience: 'https://api.example',
    tokenFormat: 'opaque',
  },
  {
    clientId: 'spa',
    public: true,
    redirectUris: ['http://127.0.0.1:5173/cb'],
    grantTypes: ['authorization_code', 'refresh_token'],
    scopes: ['orders:read'],
    audience: 'https://api.example',
    tokenFormat: 'jwt',
  },
  {
    clientId: 'web',
    clientSecret: 'web-secret',
    public: false,
    redirectUris: ['http://127.0.0.1:5173/cb'],
    grantTypes: ['authorization_code', 'refresh_token'],
    scopes: ['orders:read', 'orders:write'],
    audience: 'https://api.example',
    tokenFormat: 'jwt',
  },
  {
    clientId: 'device',
    public: true,
    redirectUris: [],
    grantTypes: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    scopes: ['orders:read'],
    audience: 'https://api.example',
    tokenFormat: 'jwt',
  },
  {
    clientId: 'rs',
    clientSecret: 'rs-secret',
    public: false,
    redirectUris: [],
    grantTypes: [],
    scopes: [],
    tokenFormat: 'jwt',
  },
]

export const DEFAULT_USERS: UserConfig[] = [{ username: 'alice', password: 'wonderland' }]

/**
 * Load and validate a mock-as configuration: a file path (YAML or JSON) or an
 * object. Fills defaults from the schema, refuses unknown keys, and reports
 * every error with its path in one GamedayError('ERR_CONFIG_INVALID').
 *
 * @example
 * ```ts
 * const config = loadAsConfig({ accessTokenTtl: '60s' })
 * config.signing.alg // 'ES256'
 * ```
 */
export function loadAsConfig(input: string | object = {}): AsConfig {
  let raw: unknown = input
  let where = 'config'
  if (typeof input === 'string') {
    where = input
    let text: string
    try {
      text = readFileSync(input, 'utf8')
    } catch (cause) {
      throw new GamedayError('ERR_CONFIG_INVALID', `${input}: cannot read the file`, { cause })
    }
    try {
      raw = parseYaml(text) ?? {}
    } catch (cause) {
      throw new GamedayError(
        'ERR_CONFIG_INVALID',
        `${input}: not valid YAML or JSON (${(cause as Error).message.split('\n')[0]})`,
        { cause },
      )
    }
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new GamedayError(
      'ERR_CONFIG_INVALID',
      `${where}: must be an object (got ${Array.isArray(raw) ? 'array' : typeof raw})`,
    )
  }
  const value = Value.Default(AsConfigSchema, structuredClone(raw))
  const errors: string[] = []
  for (const e of Value.Errors(AsConfigSchema, value)) {
    const path =
      e.path
        .replace(/^\//, '')
        .replace(/\/(\d+)(?=\/|$)/g, '[$1]')
        .replace(/\//g, '.') || '(root)'
    const extra = e.type === ValueErrorType.ObjectAdditionalProperties ? `unknown key` : e.message.toLowerCase()
    errors.push(`${path}: ${extra} (got ${JSON.stringify(e.value)?.slice(0, 80)})`)
  }
  const cfg = value as AsConfig
  if (errors.length === 0) {
    for (const [i, c] of (cfg.clients ?? []).entries()) {
      const method = c.tokenEndpointAuthMethod
      if (!c.public && !c.clientSecret && method !== 'private_key_jwt' && !c.jwks)
        errors.push(`clients[${i}].clientSecret: required for a confidential client (got none)`)
      if (method === 'private_key_jwt' && !c.jwks)
        errors.push(`clients[${i}].jwks: required for private_key_jwt (got none)`)
      if (c.public && (c.clientSecret || c.jwks))
        errors.push(`clients[${i}]: a public client has no secret and no jwks`)
      if (c.public && method !== undefined && method !== 'none')
        errors.push(`clients[${i}].tokenEndpointAuthMethod: a public client uses none (got ${method})`)
    }
    for (const [i, c] of (cfg.clients ?? []).entries()) {
      for (const [j, uri] of c.redirectUris.entries()) {
        let ok = false
        try {
          ok = new URL(uri).hash === '' && !uri.includes('#')
        } catch {}
        if (!ok)
          errors.push(
            `clients[${i}].redirectUris[${j}]: must be an absolute URI without a fragment (got ${JSON.stringify(uri)})`,
          )
      }
    }
    if (durationMs(cfg.par.requestUriTtl) >= 600_000)
      errors.push(`par.requestUriTtl: must be under 600s (RFC 9126 §2.2) (got ${cfg.par.requestUriTtl})`)
    const ids = new Set<string>()
    for (const [i, c] of (cfg.clients ?? []).entries()) {
      if (ids.has(c.clientId)) errors.push(`clients[${i}].clientId: duplicate (got ${JSON.stringify(c.clientId)})`)
      ids.add(c.clientId)
    }
    if (cfg.issuer !== undefined) {
      try {
        const u = new URL(cfg.issuer)
        if (u.search || u.hash)
          errors.push(`issuer: must have no query or fragment (got ${JSON.stringify(cfg.issuer)})`)
      } catch {
        errors.push(`issuer: must be a URL (got ${JSON.stringify(cfg.issuer)})`)
      }
    }
  }
  if (errors.length > 0) {
    throw new GamedayError(
      'ERR_CONFIG_INVALID',
      `${where}: ${errors.length} error${errors.length > 1 ? 's' : ''}: ${errors.join('; ')}`,
      { details: errors },
    )
  }
  return cfg
}
