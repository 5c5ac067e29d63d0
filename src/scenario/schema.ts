/**
 * The scenario schema: the single source that validates YAML, types the code
 * and generates `schema/scenario.schema.json` and `docs/scenario-reference.md`.
 * Defaults live here and only here. Unknown keys are errors.
 *
 * Vocabulary: k6's for load (executors, stages, thresholds), Chaos Toolkit's
 * for the run (steady state, method = timeline, rollback = reverts).
 */
import { type Static, type TPartial, type TSchema, Type } from '@sinclair/typebox'
import { AsConfigSchema } from '../../mock-as/config.ts'
import { ProfileName, RsKnobsSchema } from '../../mock-rs/options.ts'
import { DPOP_ALGS } from '../oauth/dpop.ts'
import { DURATION_PATTERN } from '../util/duration.ts'

/** A k6-style duration string field. */
export const Duration = (description: string, def?: string) =>
  Type.String({
    pattern: DURATION_PATTERN,
    description: `${description} (a duration like 250ms, 30s, 5m)`,
    ...(def === undefined ? {} : { default: def }),
  })

const Id = (description: string) => Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$', description })

/** A secret is a reference, never a literal. */
export const SecretRef = Type.Union(
  [
    Type.Object(
      { env: Type.String({ minLength: 1, description: 'name of an environment variable holding the secret' }) },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        file: Type.String({
          minLength: 1,
          description: 'path of a file holding the secret (trailing newline trimmed)',
        }),
      },
      { additionalProperties: false },
    ),
  ],
  { description: 'a reference to a secret: { env: NAME } or { file: path }' },
)
export type SecretRef = Static<typeof SecretRef>

export const ExternalClient = Type.Object(
  {
    clientId: Type.String({ minLength: 1, description: 'client_id registered at your AS' }),
    clientSecret: Type.Optional(SecretRef),
    public: Type.Boolean({ default: false, description: 'a public client (no secret; PKCE S256)' }),
    grantTypes: Type.Array(Type.String(), {
      default: ['client_credentials'],
      description: 'grants the load may use with this client',
    }),
    scopes: Type.Array(Type.String(), { default: [], description: 'scopes this client may request' }),
    audience: Type.Optional(Type.String({ description: 'audience (RFC 8707 resource) to request tokens for' })),
    redirectUris: Type.Array(Type.String(), { default: [], description: 'redirect URIs registered for user flows' }),
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
            'how it authenticates (default: private_key_jwt with a privateKey, client_secret_basic with a secret, else none)',
        },
      ),
    ),
    privateKey: Type.Optional(
      Type.Union(SecretRef.anyOf, {
        description: 'its private_key_jwt signing key (RFC 7523): a PEM or a private JWK, as a secret reference',
      }),
    ),
    keyId: Type.Optional(Type.String({ description: 'kid of privateKey as registered at your AS' })),
  },
  { additionalProperties: false, description: 'a client registered at your authorization server' },
)

export const ExternalAs = Type.Object(
  {
    issuer: Type.String({
      description: 'issuer URL; metadata is discovered from it (RFC 8414, then OpenID discovery)',
    }),
    clients: Type.Array(ExternalClient, { minItems: 1, description: 'clients the load may use' }),
    introspectionClient: Type.Optional(
      Type.String({ description: 'clientId (from clients) that resource servers use to introspect' }),
    ),
    users: Type.Array(
      Type.Object(
        { username: Type.String({ description: 'login name' }), password: SecretRef },
        { additionalProperties: false },
      ),
      { default: [], description: 'users the browser and device flows log in as' },
    ),
    control: Type.Optional(
      Type.Object(
        {
          url: Type.String({
            description: 'base URL of its mock-as control API (`/_chaos/…`), usually the issuer itself',
          }),
          adminToken: SecretRef,
        },
        {
          additionalProperties: false,
          description:
            'when your AS is a long-lived mock-as (docker compose, `oauth-gameday serve as`): its control API, checked at preflight, so AS faults can run against it',
        },
      ),
    ),
  },
  {
    additionalProperties: false,
    description:
      'use your own authorization server; faults that need AS control are refused unless `control` names a mock-as control API',
  },
)

export const AuthorizationServerSection = Type.Object(
  {
    ...AsConfigSchema.properties,
    port: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 65535,
        description: 'fixed listen port of the reference AS (default: ephemeral)',
      }),
    ),
    external: Type.Optional(ExternalAs),
  },
  {
    additionalProperties: false,
    default: {},
    description: 'the reference mock-as (its configuration keys), or `external:` for yours',
  },
)

/**
 * RS knobs as overrides: every knob optional and without its default, so
 * filling defaults never overwrites what the profile sets.
 */
export const RsKnobOverrides = Type.Object(
  Object.fromEntries(
    Object.entries(RsKnobsSchema.properties).map(([k, v]) => {
      const { default: _omit, ...rest } = v as TSchema & { default?: unknown }
      return [
        k,
        Type.Optional({ ...rest, description: `${String(rest.description ?? k)} (default: the profile's)` } as TSchema),
      ]
    }),
  ),
  { additionalProperties: false, description: 'knobs on top of the profile (`oauth-gameday list profiles`)' },
) as unknown as TPartial<typeof RsKnobsSchema>

export const ResourceServerSection = Type.Object(
  {
    name: Id('name used as `target:` in flows and in reports'),
    description: Type.Optional(
      Type.String({
        maxLength: 200,
        description: 'what this RS is, shown in the per-RS tables of the reports (default: its profile, or `external`)',
      }),
    ),
    profile: Type.Optional(ProfileName),
    options: Type.Optional(RsKnobOverrides),
    url: Type.Optional(
      Type.String({ description: 'your RS: the full URL of a protected route; absent: a reference mock-rs' }),
    ),
    scope: Type.String({ default: 'orders:read', description: 'scope the protected route needs' }),
    audience: Type.String({ default: 'https://api.example', description: 'audience the RS expects' }),
    port: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 65535, description: 'fixed listen port of a reference RS' }),
    ),
    introspectionClient: Type.Optional(Type.String({ description: 'clientId the RS introspects with (default: rs)' })),
  },
  { additionalProperties: false },
)

export const JwksCdnSection = Type.Object(
  {
    ttl: Type.Optional(Duration('forced cache TTL; absent: honour the origin Cache-Control')),
    staleWhileRevalidate: Duration('serve stale while revalidating in the background for this long', '0s'),
    staleIfError: Duration('serve stale when the origin fails, for this long', '0s'),
    purgeDelay: Duration('delay between a purge request and its effect (propagation)', '0s'),
    port: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 65535, description: 'fixed listen port of the CDN (default: ephemeral)' }),
    ),
  },
  {
    additionalProperties: false,
    description: 'a caching CDN in front of the JWKS; resource servers then fetch the key set through it',
  },
)

export const FaultProxySection = Type.Object(
  {
    tokenTraffic: Type.Boolean({
      default: false,
      description:
        "route the load's token requests through the proxy too (for faults on /token against an external AS)",
    }),
    port: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 65535, description: 'fixed listen port of the proxy (default: ephemeral)' }),
    ),
  },
  {
    additionalProperties: false,
    description: 'an HTTP fault proxy between the resource servers and the AS (JWKS, introspection)',
  },
)

export const StackSection = Type.Object(
  {
    authorizationServer: AuthorizationServerSection,
    resourceServers: Type.Array(ResourceServerSection, {
      default: [],
      description: 'reference RSs (profile) or yours (url)',
    }),
    jwksCdn: Type.Optional(JwksCdnSection),
    faultProxy: Type.Optional(FaultProxySection),
  },
  { additionalProperties: false, description: 'the system under test: reference components, yours, or a mix' },
)

export const FlowId = Type.Union(
  ['client-credentials', 'api-call', 'refresh', 'auth-code', 'introspection', 'browser-login'].map((f) =>
    Type.Literal(f),
  ),
  { description: 'the unit of traffic' },
)
export const ExecutorId = Type.Union(
  ['constant-arrival-rate', 'ramping-arrival-rate', 'constant-vus'].map((e) => Type.Literal(e)),
  { description: 'k6 executor: open model (arrival rate) or closed model (constant VUs)' },
)

export const Stage = Type.Object(
  {
    target: Type.Integer({ minimum: 0, description: 'iterations per timeUnit at the end of the stage' }),
    duration: Duration('length of the stage'),
  },
  { additionalProperties: false },
)

export const FlowSection = Type.Object(
  {
    flow: FlowId,
    name: Type.Optional(Id('name of this traffic in reports (default: flow id, numbered when repeated)')),
    executor: ExecutorId,
    rate: Type.Optional(Type.Integer({ minimum: 1, description: 'iterations per timeUnit (constant-arrival-rate)' })),
    startRate: Type.Integer({
      minimum: 0,
      default: 0,
      description: 'iterations per timeUnit at the start (ramping-arrival-rate)',
    }),
    stages: Type.Optional(Type.Array(Stage, { minItems: 1, description: 'ramping-arrival-rate stages' })),
    timeUnit: Duration('period of rate', '1s'),
    vus: Type.Optional(Type.Integer({ minimum: 1, description: 'virtual users (constant-vus)' })),
    preAllocatedVUs: Type.Integer({
      minimum: 1,
      default: 10,
      description: 'VUs ready at start (arrival-rate executors)',
    }),
    maxVUs: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: 'VU ceiling; an iteration finding no free VU is dropped (default: preAllocatedVUs x 10)',
      }),
    ),
    startTime: Duration('offset from the start of the load', '0s'),
    duration: Type.Optional(Duration('how long this flow runs (default: until the load ends)')),
    target: Type.Optional(Type.String({ description: 'resource server name (api-call, introspection)' })),
    client: Type.Optional(
      Type.String({ description: 'clientId to use (default: svc for service flows, spa for user flows)' }),
    ),
    scope: Type.Optional(Type.String({ description: 'scope to request (default: the target RS scope)' })),
    clientAuth: Type.Optional(
      Type.Union(
        [
          Type.Literal('client_secret_basic'),
          Type.Literal('client_secret_post'),
          Type.Literal('private_key_jwt'),
          Type.Literal('none'),
        ],
        {
          description:
            "client authentication at the token endpoint (default: the client's; private_key_jwt needs a client with a key)",
        },
      ),
    ),
    assertionAudience: Type.Optional(
      Type.Union([Type.Literal('issuer'), Type.Literal('token-endpoint')], {
        description:
          'aud of private_key_jwt assertions: the issuer (FAPI 2.0; the default) or the token endpoint URL (what some servers stopped accepting)',
      }),
    ),
    par: Type.Optional(
      Type.Boolean({
        description:
          'auth-code: push the authorization request first (PAR, RFC 9126) and send only client_id and request_uri to /authorize (default false)',
      }),
    ),
    clients: Type.Integer({
      minimum: 1,
      maximum: 10_000,
      default: 8,
      description: 'virtual clients holding tokens (api-call, refresh)',
    }),
    timeout: Duration('request timeout', '10s'),
    dpop: Type.Boolean({
      default: false,
      description:
        'sender-constrained tokens (RFC 9449): each virtual user holds its own DPoP key, every token request carries a proof, api calls send `Authorization: DPoP` with an `ath`-bound proof, and a `use_dpop_nonce` answer is retried once with the server nonce (client-credentials, auth-code, refresh, api-call)',
    }),
    dpopAlg: Type.Union(
      DPOP_ALGS.map((a) => Type.Literal(a)),
      { default: 'ES256', description: 'JWS algorithm of the DPoP keys (with `dpop: true`)' },
    ),
  },
  { additionalProperties: false },
)

export const LoadSection = Type.Object(
  {
    duration: Duration('length of the load; every flow stops by then'),
    warmup: Duration('first part of the load excluded from SLO windows', '5s'),
    gracefulStop: Duration('time in-flight iterations get to finish after the end', '5s'),
    connections: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 10_000,
        description:
          'embedded engine: most sockets it keeps per origin; a request beyond them waits for a free socket, and the wait counts in its corrected latency (default: one per VU, as in k6, at most 1024). The k6 engine ignores it: each k6 VU keeps its own connections',
      }),
    ),
    flows: Type.Array(FlowSection, {
      minItems: 1,
      description: 'the traffic, one entry per flow and executor (k6 scenarios)',
    }),
  },
  { additionalProperties: false, description: 'the traffic driven through the whole run, in k6 vocabulary' },
)

export const TimelineEntry = Type.Object(
  {
    at: Duration('offset from the start of the load'),
    fault: Type.Optional(Type.String({ description: 'fault id (`oauth-gameday list faults`)' })),
    probe: Type.Optional(Type.String({ description: 'probe id (`oauth-gameday list probes`)' })),
    duration: Type.Optional(Duration("how long the fault stays before it is reverted (default: the fault's own)")),
    params: Type.Record(Type.String(), Type.Unknown(), {
      default: {},
      description: 'parameters of the fault or probe, checked against its own schema',
    }),
  },
  { additionalProperties: false, description: 'exactly one of fault or probe' },
)

export const SloId = Type.Union(
  ['M1', 'M2', 'M3', 'M4', 'M5', 'M6', 'M7', 'M8', 'M9', 'M10', 'M11', 'M12', 'S1', 'S2', 'S3', 'L1', 'D1'].map((s) =>
    Type.Literal(s),
  ),
  { description: 'an SLO from the catalog (`oauth-gameday list slos`)' },
)
export const SloWindow = Type.Union(
  ['run', 'steady-state', 'fault', 'recovery'].map((w) => Type.Literal(w)),
  { description: 'the part of the run the indicator is computed over' },
)

export const SloEntry = Type.Object(
  {
    id: SloId,
    objective: Type.Optional(
      Type.String({
        description: 'k6 threshold syntax: rate<0.001, p(95)<300ms, max<10s (default: the catalog objective)',
      }),
    ),
    window: Type.Optional(SloWindow),
    severity: Type.Optional(
      Type.Union(
        ['critical', 'major', 'minor'].map((s) => Type.Literal(s)),
        { description: 'weight in the score: critical 3, major 2, minor 1 (default: the catalog severity)' },
      ),
    ),
    target: Type.Optional(Type.String({ description: 'restrict to one resource server' })),
    abortOnFail: Type.Optional(
      Type.Boolean({
        description:
          "k6's abortOnFail: end the run early (status aborted, abortedBy slo, exit 99) as soon as this SLO is broken so far; faults are reverted and the reports written",
      }),
    ),
    delayAbortEval: Type.Optional(
      Duration(
        "with abortOnFail: how long after the start of the load before a breach may end the run (k6's delayAbortEval; default 0s)",
      ),
    ),
    alert: Type.Optional(
      Type.String({
        description: 'D1 only: the SLO whose page alert is timed (M1, M2, M3, M6 or M10); D1 needs `run --prometheus`',
      }),
    ),
  },
  { additionalProperties: false },
)

export const ScenarioSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String({ description: 'JSON schema for editors (ignored)' })),
    id: Id('stable id; equals the file stem'),
    title: Type.String({ minLength: 1, description: 'one line' }),
    description: Type.String({ default: '', description: 'what this game day teaches, in two or three sentences' }),
    seed: Type.Optional(
      Type.Integer({ minimum: 0, description: 'seed for schedules and jitter (CLI --seed overrides)' }),
    ),
    stack: StackSection,
    load: LoadSection,
    steadyState: Type.Array(SloId, {
      default: [],
      description: 'SLOs that must hold before the first fault and after the last revert',
    }),
    steadyStateGate: Type.Union([Type.Literal('report'), Type.Literal('abort')], {
      default: 'report',
      description:
        '`abort`: when the steady state does not hold just before the first fault, inject nothing and end the run (status aborted, exit 108); `report`: go on and report the deviation',
    }),
    timeline: Type.Array(TimelineEntry, {
      default: [],
      description: 'faults and probes at offsets from the start of the load (the method)',
    }),
    slos: Type.Array(SloEntry, {
      default: [],
      description: 'objectives the run is scored on (none: the whole catalog with its defaults)',
    }),
  },
  {
    additionalProperties: false,
    $id: 'https://oauth-gameday.dev/schema/scenario.schema.json',
    title: 'oauth-gameday scenario',
  },
)

export type Scenario = Static<typeof ScenarioSchema>
export type StackConfig = Static<typeof StackSection>
export type FlowConfig = Static<typeof FlowSection>
export type LoadConfig = Static<typeof LoadSection>
export type TimelineEntry = Static<typeof TimelineEntry>
export type SloEntry = Static<typeof SloEntry>
export type ResourceServerConfig = Static<typeof ResourceServerSection>
export type JwksCdnConfig = Static<typeof JwksCdnSection>
export type SloIdValue = Static<typeof SloId>
export type SloWindowValue = Static<typeof SloWindow>

/** Re-exported for unit params schemas. */
export type { TSchema }
