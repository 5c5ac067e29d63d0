/**
 * Runtime contract: how the stack comes up. `start(stack) → StartedStack`
 * (Targets plus stop). Control handles exist only for what this runtime
 * controls; an external AS has none, and faults needing it are refused early.
 */
import type { ClientAuthMethod } from '../oauth/client-auth.ts'
import type { ClientSigningKey } from '../oauth/client-assertion.ts'
import type { Logger } from '../log.ts'
import type { StackConfig } from '../scenario/schema.ts'

import type { CdnControl } from '../../jwks-cdn/control.ts'
import type { ProxyControl } from '../../fault-proxy/control.ts'
import type { AsControl } from '../../mock-as/control.ts'
import type { RsControl } from '../../mock-rs/control.ts'
import type { EventFeed } from '../util/component/events.ts'

// The control contracts live with each component; the runtime re-exports them for its callers.
export type { CdnControl } from '../../jwks-cdn/control.ts'
export type { ProxyControl, Toxic, ToxicType } from '../../fault-proxy/control.ts'
export type { AsControl, RotateRequest, RotateResult, RotationMode } from '../../mock-as/control.ts'
export type { RsControl } from '../../mock-rs/control.ts'
export type { ComponentEvent, EventFeed } from '../util/component/events.ts'

export type { ClientSigningKey }

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
  /** How it authenticates (default: private_key_jwt with a key, client_secret_basic with a secret, else none). */
  authMethod?: ClientAuthMethod
  /** Its private_key_jwt signing key (generated per run for a reference AS client, or from a secret reference). */
  privateKey?: ClientSigningKey
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
  /** RFC 9126 pushed authorization request endpoint, when the AS publishes one. */
  pushedAuthorizationRequestEndpoint?: string
  /** JWKS URI the AS publishes. */
  jwksUri: string
  /** JWKS URI as the resource servers see it (through CDN / proxy). */
  rsJwksUri: string
  clients: ClientCredentials[]
  users: Array<{ username: string; password: string }>
  resourceServers: RsTarget[]
  control: { as?: AsControl; cdn?: CdnControl; proxy?: ProxyControl }
  /** The control URL of an external AS that is a mock-as (`external.control`); preflight checks it answers as one. */
  externalAsControl?: string
  /** Base URLs of the JWKS CDN and the fault proxy this runtime started (each serves `/metrics`). */
  componentUrls?: { cdn?: string; proxy?: string }
  feeds: EventFeed[]
}

/** A component the runtime started that exited before the runtime stopped it. */
export interface ComponentExit {
  /** `as`, `fault-proxy`, `jwks-cdn`, `rs-<name>`. */
  component: string
  /** Process id (process runtime) or container id (containers runtime). */
  pid?: number
  containerId?: string
  /** Exit code, or null when a signal ended it. */
  code: number | null
  signal: string | null
  /** Epoch ms. */
  time: number
}

export interface StartedStack extends AsyncDisposable {
  readonly targets: Targets
  /** Stop everything this runtime started; safe to call twice. */
  stop(): Promise<void>
  /**
   * Watch the components this runtime started: `listener` is called once for
   * each that exits before `stop()` (an exit before the call is delivered at
   * once). Absent when the runtime started nothing it can watch (external).
   * Returns a function that stops watching.
   */
  watch?(listener: (exit: ComponentExit) => void): () => void
  /** The components this runtime started, with their process or container ids (absent when it started none). */
  components?(): Array<{ component: string; pid?: number; containerId?: string }>
  /**
   * The health routes of the components this runtime started (`as` →
   * `http://127.0.0.1:4100/healthz`), checked by the runner's watchdog
   * during the run. Absent when it started none (external).
   */
  health?(): Array<{ component: string; url: string }>
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
