/**
 * What a resource server counts and tells: validation outcomes by reason,
 * JWKS fetches, introspection calls, cache hits, fail-open acceptances, and
 * the event feed (`GET /_control/events`) the runner merges into the run
 * record. Counters are plain numbers on the hot path; prom-client reads them
 * only when `/metrics` is scraped.
 */
import { Counter, Gauge, Registry } from 'prom-client'
import { EventLog } from '../src/util/component/event-log.ts'
import type { ComponentEvent } from '../src/util/component/events.ts'
import type { TrafficSource } from '../src/util/component/probe-traffic.ts'

/** Reasons of a 401 `invalid_token` (the `error_description` the load engine reads). */
export type RejectReason =
  | 'expired'
  | 'not_yet_valid'
  | 'bad_signature'
  | 'unknown_kid'
  | 'wrong_aud'
  | 'wrong_iss'
  | 'wrong_typ'
  | 'bad_alg'
  | 'malformed'
  | 'inactive'
  | 'validator_unavailable'
  /** A DPoP refusal (RFC 9449 §7); the detail is in `rs_dpop_rejections_total{reason}`. */
  | 'dpop'

export type Outcome =
  | 'accepted'
  | 'rejected'
  | 'forbidden'
  | 'unavailable'
  | 'fail_open'
  | 'no_credentials'
  | 'invalid_request'

/** An event of the mock-rs feed. */
export type RsEvent = ComponentEvent

const MAX_EVENTS = 5000
/** Sampled event types: at most this many per second each. */
const SAMPLED_EVENTS_PER_SECOND = 5

/** Counters, events and the prom-client registry of one resource server. */
export class Telemetry {
  validations = new Map<string, number>()
  jwksFetches = { ok: 0, failed: 0, byCause: {} as Record<string, number> }
  introspectionCalls = { ok: 0, failed: 0, byStatus: {} as Record<string, number> }
  cacheHits = { jwks: 0, introspection: 0 }
  cacheMisses = { introspection: 0 }
  failOpenAcceptances = 0
  /** The share of {@link failOpenAcceptances} that deliberate traffic caused. */
  failOpenProbeAcceptances = 0
  sampledEventsDropped = 0
  /** DPoP refusals by `reason|source` (replay, iat, htu, ath, jkt, nonce, bearer_downgrade, not_bound, …). */
  dpopRejections = new Map<string, number>()
  readonly registry = new Registry()
  /** Called with every event kept in the feed (the RS logs them). */
  listener: ((e: RsEvent) => void) | undefined
  private readonly events: EventLog
  private samples = new Map<string, { second: number; count: number }>()

  constructor(
    private readonly now: () => number,
    probe: () => { kids: number; jwksAgeSeconds: number | null },
  ) {
    this.events = new EventLog(now, MAX_EVENTS)
    const self = this
    new Counter({
      name: 'rs_validations_total',
      help: 'token validations by outcome, reason and source (probe: deliberate traffic)',
      labelNames: ['outcome', 'reason', 'source'],
      registers: [this.registry],
      collect() {
        this.reset()
        for (const [key, n] of self.validations) {
          const [outcome, reason, source] = key.split('|')
          this.inc({ outcome: outcome ?? '', reason: reason ?? '', source: source ?? 'load' }, n)
        }
      },
    })
    new Counter({
      name: 'rs_jwks_fetches_total',
      help: 'JWKS fetches by result',
      labelNames: ['result'],
      registers: [this.registry],
      collect() {
        this.reset()
        this.inc({ result: 'ok' }, self.jwksFetches.ok)
        this.inc({ result: 'failed' }, self.jwksFetches.failed)
      },
    })
    new Counter({
      name: 'rs_introspection_calls_total',
      help: 'RFC 7662 introspection calls by result',
      labelNames: ['result'],
      registers: [this.registry],
      collect() {
        this.reset()
        this.inc({ result: 'ok' }, self.introspectionCalls.ok)
        this.inc({ result: 'failed' }, self.introspectionCalls.failed)
      },
    })
    new Counter({
      name: 'rs_cache_hits_total',
      help: 'validations answered from a cache (jwks: key held; introspection: cached answer)',
      labelNames: ['cache'],
      registers: [this.registry],
      collect() {
        this.reset()
        this.inc({ cache: 'jwks' }, self.cacheHits.jwks)
        this.inc({ cache: 'introspection' }, self.cacheHits.introspection)
      },
    })
    new Counter({
      name: 'rs_fail_open_total',
      help: 'INSECURE acceptances of unvalidated tokens (fail-open), by source (probe: deliberate traffic)',
      labelNames: ['source'],
      registers: [this.registry],
      collect() {
        this.reset()
        this.inc({ source: 'load' }, self.failOpenAcceptances - self.failOpenProbeAcceptances)
        this.inc({ source: 'probe' }, self.failOpenProbeAcceptances)
      },
    })
    new Counter({
      name: 'rs_dpop_rejections_total',
      help: 'DPoP refusals (RFC 9449) by reason and source (probe: deliberate traffic)',
      labelNames: ['reason', 'source'],
      registers: [this.registry],
      collect() {
        this.reset()
        for (const [key, n] of self.dpopRejections) {
          const [reason, source] = key.split('|')
          this.inc({ reason: reason ?? '', source: source ?? 'load' }, n)
        }
      },
    })
    new Gauge({
      name: 'rs_jwks_kids',
      help: 'keys held in the JWKS cache',
      registers: [this.registry],
      collect() {
        this.set(probe().kids)
      },
    })
    new Gauge({
      name: 'rs_jwks_cache_age_seconds',
      help: 'age of the held key set (-1 when none)',
      registers: [this.registry],
      collect() {
        this.set(probe().jwksAgeSeconds ?? -1)
      },
    })
  }

  /** Count one validation; `source` is `probe` for deliberate traffic (`x-gameday-probe`). */
  count(outcome: Outcome, reason = '', source: TrafficSource = 'load'): void {
    const key = `${outcome}|${reason}|${source}`
    this.validations.set(key, (this.validations.get(key) ?? 0) + 1)
  }

  /** Count one DPoP refusal by reason. */
  countDpop(reason: string, source: TrafficSource = 'load'): void {
    const key = `${reason}|${source}`
    this.dpopRejections.set(key, (this.dpopRejections.get(key) ?? 0) + 1)
  }

  /** DPoP refusals of one source as `{ replay: n, … }`. */
  dpopRejectionsBy(source: TrafficSource = 'load'): Record<string, number> {
    const out: Record<string, number> = {}
    for (const [key, n] of this.dpopRejections) {
      const [reason = '', from] = key.split('|')
      if (from === source) out[reason] = (out[reason] ?? 0) + n
    }
    return out
  }

  /** Append an event to the feed. */
  emit(type: string, data?: Record<string, unknown>): void {
    const event = this.events.emit(type, data)
    this.listener?.(event)
  }

  /**
   * Emit an event sampled to a few per second per type (`token.rejected`,
   * `introspection.failed`, `fail_open.accepted`), so a 401 storm cannot flood the feed; the rest
   * are only counted.
   */
  emitSampled(type: string, data: Record<string, unknown> | (() => Record<string, unknown>)): void {
    const second = Math.floor(this.now() / 1000)
    let s = this.samples.get(type)
    if (!s || s.second !== second) this.samples.set(type, (s = { second, count: 0 }))
    s.count += 1
    if (s.count <= SAMPLED_EVENTS_PER_SECOND) this.emit(type, typeof data === 'function' ? data() : data)
    else this.sampledEventsDropped += 1
  }

  /** Events with seq > since. */
  eventsSince(since: number): RsEvent[] {
    return this.events.since(since)
  }

  /** Validations as `{ accepted: n, rejected: { expired: n, ... }, ... }`. */
  validationsByOutcome(source: 'load' | 'probe' = 'load'): Record<string, number | Record<string, number>> {
    const out: Record<string, number | Record<string, number>> = {}
    for (const [key, n] of this.validations) {
      const [outcome = '', reason = '', from = 'load'] = key.split('|')
      if (from !== source) continue
      if (!reason) {
        out[outcome] = ((out[outcome] as number | undefined) ?? 0) + n
      } else {
        const bucket = (typeof out[outcome] === 'object' ? out[outcome] : (out[outcome] = {})) as Record<string, number>
        bucket[reason] = (bucket[reason] ?? 0) + n
      }
    }
    return out
  }

  /** Zero every counter; the event sequence keeps growing so pollers never see a seq twice. */
  reset(): void {
    this.validations.clear()
    this.jwksFetches = { ok: 0, failed: 0, byCause: {} }
    this.introspectionCalls = { ok: 0, failed: 0, byStatus: {} }
    this.cacheHits = { jwks: 0, introspection: 0 }
    this.cacheMisses = { introspection: 0 }
    this.failOpenAcceptances = 0
    this.sampledEventsDropped = 0
    this.dpopRejections.clear()
  }
}
