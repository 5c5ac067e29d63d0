/**
 * Runtime contract: how the stack comes up. `start(stack) → StartedStack`
 * (Targets plus stop). Control handles exist only for what this runtime
 * controls; an external AS has none, and faults needing it are refused early.
 */
import type { Logger } from '../log.ts'
import type { StackConfig } from '../scenario/schema.ts'

/** A server-side event as the reference components expose it (`GET …/events?since=N`). */
export interface ComponentEvent {
  seq: number
  /** Epoch ms. */
  time: number
  type: string
  data?: Record<string, unknown>
}

/** Anything the runner can poll for events. */
export interface EventFeed {
  /** `mock-as`, `cdn`, `fault-proxy`, `rs:<name>`. */
  readonly source: string
  /** Events with seq > since, in order. */
  poll(since: number): Promise<ComponentEvent[]>
}

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
  revoke(opts: { clientId?: string; sub?: string }): Promise<{ revoked: number }>
  state(): Promise<Record<string, unknown>>
  reset(): Promise<void>
}

/** mock-rs control (`/_control`). */
export interface RsControl extends EventFeed {
  setClockOffset(seconds: number): Promise<void>
  stats(): Promise<Record<string, unknown>>
  reset(): Promise<void>
}

/** JWKS CDN control (`/_cdn`). */
export interface CdnControl extends EventFeed {
  configure(opts: { ttl?: string | null; staleWhileRevalidate?: string; staleIfError?: string; purgeDelay?: string }): Promise<void>
  purge(): Promise<{ effectiveAt: number }>
  stats(): Promise<{ hits: number; misses: number; stale: number; lastAgeSeconds: number | null; [k: string]: unknown }>
  reset(): Promise<void>
}

export type ToxicType = 'latency' | 'error' | 'rate-limit' | 'timeout' | 'reset' | 'slow-body'

export interface Toxic {
  type: ToxicType
  name?: string
  /** Only requests whose path starts with this are affected. */
  pathPrefix?: string
  /** Share of matching requests affected, 0–1. */
  toxicity?: number
  /** Type-specific attributes: latencyMs, jitterMs, status, rate, burst, bytesPerSecond, ... */
  attributes?: Record<string, number | string>
}

/** HTTP fault proxy control (`/_proxy`). */
export interface ProxyControl extends EventFeed {
  addToxic(toxic: Toxic): Promise<{ name: string }>
  removeToxic(name: string): Promise<void>
  listToxics(): Promise<Toxic[]>
  reset(): Promise<void>
}

export interface ClientCredentials {
  clientId: string
  /** Resolved secret (registered with the secret masker). */
  clientSecret?: string
  public: boolean
  grantTypes: string[]
  scopes: string[]
  audience?: string
  redirectUris: string[]
  tokenFormat?: 'jwt' | 'opaque'
}

export interface RsTarget {
  name: string
  /** Base URL (scheme://host:port). */
  baseUrl: string
  /** Full URL of the protected route the load calls. */
  apiUrl: string
  scope: string
  audience: string
  profile?: string
  mode?: 'jwt' | 'introspection'
  external: boolean
  control?: RsControl
}

/** What a started stack exposes to the load, the faults and the probes. */
export interface Targets {
  issuer: string
  /** Token endpoint as the load uses it (through the fault proxy when tokenTraffic is set). */
  tokenEndpoint: string
  authorizationEndpoint: string
  introspectionEndpoint?: string
  revocationEndpoint?: string
  deviceAuthorizationEndpoint?: string
  /** JWKS URI the AS publishes. */
  jwksUri: string
  /** JWKS URI as the resource servers see it (through CDN / proxy). */
  rsJwksUri: string
  clients: ClientCredentials[]
  users: Array<{ username: string; password: string }>
  resourceServers: RsTarget[]
  control: { as?: AsControl; cdn?: CdnControl; proxy?: ProxyControl }
  feeds: EventFeed[]
}

export interface StartedStack extends AsyncDisposable {
  readonly targets: Targets
  /** Stop everything this runtime started; safe to call twice. */
  stop(): Promise<void>
  /** Component logs (name → text), captured for the run folder when a run fails. */
  logs(): Promise<Record<string, string>>
}

export interface RuntimeStartOptions {
  signal: AbortSignal
  log: Logger
  /** The run folder (component logs may be written there). */
  runDir?: string
  seed: number
}

export interface RuntimeDefinition {
  readonly id: string
  readonly summary: string
  start(stack: StackConfig, options: RuntimeStartOptions): Promise<StartedStack>
}
