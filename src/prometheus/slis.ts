/**
 * Server-side SLIs: for each catalog SLO, the Prometheus counters at the
 * reference components that measure what the harness scores, as a pair of
 * selectors (bad events, all events). Deliberate traffic is excluded with
 * `source!="probe"` (DESIGN.md's decisions; the components label it), which
 * also matches series of a server that has no `source` label at all.
 *
 * An SLO absent from `slis` has no server-side SLI; `noSli` says why.
 */
import { DURATION_BUCKETS } from '../../mock-as/metrics.ts'

/**
 * A latency SLI from a classic histogram: a percentile objective `p(95)<300ms`
 * becomes "at most 5% of requests slower than 300 ms", bad events being
 * `_count` minus the `_bucket` at the objective, which must be a bucket.
 */
export interface LatencySli {
  /** Histogram name without `_bucket` / `_count`. */
  readonly histogram: string
  /** Matchers inside the braces (without `le`). */
  matchers(extra: string): string
  /** Bucket bounds in seconds. */
  readonly buckets: readonly number[]
}

/** Bad and total event selectors of one SLI; `rate()` is applied by the rule builder. */
export interface ServerSli {
  /** Selector of bad events; `extra` are more matchers (`rs="orders"`), possibly empty. */
  bad(extra: string): string
  total(extra: string): string
  /** One line for the alert summary. */
  readonly what: string
  /** Label naming the resource server, when an SLO restricted to one (`target:`) can be measured per RS. */
  readonly targetLabel?: string
  /** Set for a latency SLI: `bad` and `total` are then unused. */
  readonly latency?: LatencySli
}

const NOT_PROBE = 'source!="probe"'
const m = (extra: string) => (extra ? `,${extra}` : '')

/** The SLIs the reference components can measure. */
export const slis: Readonly<Record<string, ServerSli>> = {
  M1: {
    bad: (x) => `mock_as_requests_total{endpoint="/token",status=~"5..|429",${NOT_PROBE}${m(x)}}`,
    total: (x) => `mock_as_requests_total{endpoint="/token",${NOT_PROBE}${m(x)}}`,
    what: 'token requests answered 5xx or 429 by the authorization server',
  },
  M2: {
    bad: () => '',
    total: () => '',
    what: 'token requests the authorization server answered slower than the objective',
    latency: {
      histogram: 'mock_as_request_duration_seconds',
      matchers: (x) => `endpoint="/token",${NOT_PROBE}${m(x)}`,
      buckets: DURATION_BUCKETS,
    },
  },
  M3: {
    bad: (x) => `rs_validations_total{outcome=~"rejected|unavailable",${NOT_PROBE}${m(x)}}`,
    total: (x) => `rs_validations_total{outcome=~"accepted|rejected|unavailable|fail_open",${NOT_PROBE}${m(x)}}`,
    what: 'bearer tokens the resource servers refused as invalid or could not validate',
    targetLabel: 'rs',
  },
  M6: {
    bad: (x) => `mock_as_requests_total{endpoint="/introspect",status=~"5..|429",${NOT_PROBE}${m(x)}}`,
    total: (x) => `mock_as_requests_total{endpoint="/introspect",${NOT_PROBE}${m(x)}}`,
    what: 'introspection requests answered 5xx or 429 by the authorization server',
  },
  M10: {
    bad: (x) => `mock_as_requests_total{endpoint="/authorize",status=~"5..",${NOT_PROBE}${m(x)}}`,
    total: (x) => `mock_as_requests_total{endpoint="/authorize",${NOT_PROBE}${m(x)}}`,
    what: 'authorization requests answered 5xx by the authorization server',
  },
}

/** Why an SLO has no server-side SLI (shown by the export, as a comment and on stderr). */
export const noSli: Readonly<Record<string, string>> = {
  M4: 'refresh rotation success is judged by the client flow (which refresh token it holds), not counted by the AS',
  M5: 'revocation propagation time is measured by a probe, not a ratio of events',
  M7: 'suspicious token use is a probe verdict (detected or not), not a ratio',
  M8: 'PKCE failures are counted per honest client flow; the AS cannot tell honest from attacking clients',
  M9: 'JWKS refresh latency is a probe measurement, not a ratio of events',
  S1: 'fail-open acceptances are a count that must stay 0 (alert on increase(rs_fail_open_total[5m]) > 0), not a budgeted ratio',
  S2: 'attacks accepted are a verdict per RS and attack (the jwt-attacks probe, the stolen-dpop-token and dpop-proof-replay faults), not a ratio of events',
  S3: 'AS exposures are a probe verdict (as-exposure), not a ratio of events',
  L1: 'browser login latency is measured in the browser only',
  D1: "time to detect is measured from the other SLOs' alerts during a run (run --prometheus), not a ratio of events",
  M11: "nonce retries per token are counted by the honest client flows (a retry is a client's second request for one token), not by a server",
  M12: 'proof rejections are judged per honest client flow; the servers count refusals (rs_dpop_rejections_total) but not which of their requests carried a DPoP proof',
}
