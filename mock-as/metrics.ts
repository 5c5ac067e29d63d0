/**
 * Prometheus metrics of one AS instance (own registry, so several instances
 * can live in one process). Snake_case names, labels kept low-cardinality.
 * Requests carry `source`: `probe` for deliberate traffic (`x-gameday-probe`),
 * `load` for the rest, so SLO rules can select `source!="probe"`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { TrafficSource } from '../src/util/component/probe-traffic.ts'

export interface AsMetrics {
  registry: Registry
  requests: Counter<'endpoint' | 'grant_type' | 'status' | 'error' | 'source'>
  duration: Histogram<'endpoint' | 'source'>
  tokensIssued: Counter<'grant_type' | 'format'>
  reuseDetected: Counter
  publishedKeys: Gauge
}

export function createMetrics(publishedKeys: () => number, withDefaults = false): AsMetrics {
  const registry = new Registry()
  if (withDefaults) collectDefaultMetrics({ register: registry })
  return {
    registry,
    requests: new Counter({
      name: 'mock_as_requests_total',
      help: 'requests by endpoint, grant type, status, OAuth error code and source (probe: deliberate traffic)',
      labelNames: ['endpoint', 'grant_type', 'status', 'error', 'source'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'mock_as_request_duration_seconds',
      help: 'request latency by endpoint and source',
      labelNames: ['endpoint', 'source'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    tokensIssued: new Counter({
      name: 'mock_as_tokens_issued_total',
      help: 'access tokens issued by grant type and format',
      labelNames: ['grant_type', 'format'],
      registers: [registry],
    }),
    reuseDetected: new Counter({
      name: 'mock_as_refresh_reuse_detected_total',
      help: 'rotated refresh tokens presented again (families revoked)',
      registers: [registry],
    }),
    publishedKeys: new Gauge({
      name: 'mock_as_published_keys',
      help: 'keys currently published in the JWKS',
      registers: [registry],
      collect() {
        this.set(publishedKeys())
      },
    }),
  }
}

/** Records one answered request: `(endpoint, grantType, status, error, seconds, source)`. */
export type RequestRecorder = (
  endpoint: string,
  grantType: string,
  status: number,
  error: string,
  seconds: number,
  source: TrafficSource,
) => void

/**
 * The per-request metric update, shared by the fastify hook and the token
 * fast path. Labelled children are cached: prom-client's label hashing is the
 * costly part of an update.
 */
export function requestRecorder(metrics: AsMetrics): RequestRecorder {
  const requestChildren = new Map<string, { inc(): void }>()
  const durationChildren = new Map<string, { observe(v: number): void }>()
  return (endpoint, grantType, status, error, seconds, source) => {
    const key = `${endpoint}|${grantType}|${status}|${error}|${source}`
    let child = requestChildren.get(key)
    if (!child) {
      child = metrics.requests.labels({ endpoint, grant_type: grantType, status: String(status), error, source })
      if (requestChildren.size < 10_000) requestChildren.set(key, child)
    }
    child.inc()
    const hKey = `${endpoint}|${source}`
    let h = durationChildren.get(hKey)
    if (!h) {
      h = metrics.duration.labels({ endpoint, source })
      if (durationChildren.size < 1_000) durationChildren.set(hKey, h)
    }
    h.observe(seconds)
  }
}
