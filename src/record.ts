/**
 * The one normalized record of a run. Load engines produce a {@link LoadResult};
 * the runner wraps it with phases, events, fault windows and probe results into
 * a {@link RunRecord}. Scoring and reporters read only this, never an engine.
 *
 * Times inside a record are milliseconds since `RunRecord.t0` (the start of the
 * load), so every series, event and window shares one axis.
 */

/** Metric families, the same from every engine (k6 metric names use `<family>_duration` / `<family>_failed`). */
export type MetricFamily = 'oauth_token' | 'rs_request' | 'oauth_authorize' | 'browser_login' | 'introspection'

/**
 * Tags of one series. `flow` and `endpoint` are always set; the rest when known.
 * `reason` explains a failure: an RS reason (`expired`, `not_yet_valid`,
 * `bad_signature`, `unknown_kid`, `wrong_aud`, `wrong_iss`, `insufficient_scope`,
 * `inactive`, `validator_unavailable`), a transport error (`timeout`,
 * `connection_refused`, `connection_reset`), or an OAuth error code.
 */
export interface SeriesTags {
  flow: string
  endpoint: string
  /** HTTP status as a string, or `0` for a transport error. */
  status: string
  /** OAuth `error` code of the response, when there is one. */
  error?: string
  reason?: string
  /** Resource server name for `rs_request`. */
  target?: string
  /** Grant type for `oauth_token`. */
  grant?: string
  /** The token's state as the client knows it: `valid`, `revoked`, `attacker` (for attacker traffic). */
  token?: string
  [key: string]: string | undefined
}

/**
 * One second of one series: request count and latency histograms, encoded with
 * hdr-histogram-js `encodeIntoCompressedBase64` in microseconds.
 */
export interface SecondBucket {
  /** Second index since t0 (0-based). */
  s: number
  count: number
  /** Latency from the intended start time (corrected for coordinated omission), µs, compressed HDR. */
  latency: string
  /** Latency from the actual send, µs, compressed HDR. */
  latencyUncorrected: string
}

export interface Series {
  metric: MetricFamily
  tags: SeriesTags
  /** True when the requests in this series failed (status >= 400, transport error, or a flow-level check). */
  failed: boolean
  buckets: SecondBucket[]
}

/** Per-second counters that are not requests. */
export interface CounterSeries {
  /** `dropped_iterations`, `iterations`, `vus`, `token_renewals`, `reauth_on_401`, ... */
  name: string
  tags: Record<string, string>
  /** Values per second index since t0. */
  values: Array<{ s: number; value: number }>
}

/** What a load engine hands back. */
export interface LoadResult {
  engine: string
  engineVersion?: string
  /** Epoch ms of the first scheduled iteration (t0 of the record). */
  startedAt: number
  durationMs: number
  /** Latency basis used by reports and SLOs unless told otherwise. */
  latencyBasis: 'intended-start'
  series: Series[]
  counters: CounterSeries[]
  /** True when the run was cut short by the abort signal. */
  aborted: boolean
  /** Non-fatal problems (a flow that could not get a token, ...). */
  warnings: string[]
}

/** A structured event from mock-as, a proxy, an RS, the runner or the engine. */
export interface RunEvent {
  /** ms since t0 (negative before the load started). */
  t: number
  /** `mock-as`, `cdn`, `fault-proxy`, `rs:<name>`, `runner`, `engine`. */
  source: string
  /** `noun.verb`, past tense: `key.published`, `refresh_token.reused`, `fault.injected`. */
  type: string
  data?: Record<string, unknown>
}

export type PhaseName =
  | 'preflight'
  | 'warmup'
  | 'steady-state-before'
  | 'method'
  | 'recovery'
  | 'steady-state-after'
  | 'score'
  | 'report'

export interface PhaseRecord {
  name: PhaseName
  start: number
  end?: number
  status: 'completed' | 'failed' | 'aborted' | 'skipped'
  detail?: string
}

export interface FaultWindow {
  /** Index in the scenario timeline. */
  index: number
  fault: string
  params: Record<string, unknown>
  injectedAt: number
  revertedAt?: number
  status: 'reverted' | 'inject-failed' | 'revert-failed' | 'active'
  error?: string
  /** What the fault reports about itself (new kid, revoked subject, ...). */
  details?: Record<string, unknown>
}

export interface ProbeResult {
  /** Index in the scenario timeline. */
  index: number
  probe: string
  /** What is measured, e.g. `jwks refresh latency (max over RSs)`. */
  name: string
  status: 'ok' | 'failed' | 'timeout'
  value: number | boolean | null
  unit: 'ms' | 's' | 'count' | 'ratio' | 'bool'
  /** Per-RS or per-step values behind the headline value. */
  breakdown?: Record<string, number | boolean | null>
  /** Raw observations (timestamps as ms since t0). */
  observations: Array<Record<string, unknown>>
  startedAt: number
  endedAt: number
  error?: string
}

export type RunStatus = 'completed' | 'failed' | 'aborted' | 'interrupted'

export interface RunRecord {
  schemaVersion: 1
  runId: string
  scenarioId: string
  title: string
  status: RunStatus
  /** Chaos Toolkit's flag: the steady-state hypothesis did not hold. */
  deviated: boolean
  /** ISO time of t0. */
  startedAt: string
  endedAt: string
  /** Epoch ms of t0. */
  t0: number
  seed: number
  engine: { id: string; version?: string }
  runtime: string
  /** The scenario as run (secrets already resolved to references, never values). */
  scenario: unknown
  targets: { issuer: string; resourceServers: Array<{ name: string; url: string; profile?: string; mode?: string }> }
  phases: PhaseRecord[]
  load: LoadResult
  events: RunEvent[]
  faults: FaultWindow[]
  probes: ProbeResult[]
  /** Windows in ms since t0: the steady state before the first fault, and recovery after the last revert. */
  windows: { steadyState?: [number, number]; fault?: [number, number]; recovery?: [number, number] }
  /** Environment facts for the report header. */
  environment: { node: string; platform: string; cpus: number; harnessVersion: string }
  error?: { code: string; message: string }
}
