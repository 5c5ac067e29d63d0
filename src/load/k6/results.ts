/**
 * Parse k6's JSON output (`k6 run --out json=FILE`: one JSON object per line,
 * `{"type":"Metric",...}` declarations and `{"type":"Point","data":{"time",
 * "value","tags"},"metric"}` samples, time values in ms) into the same
 * per-second HDR series the embedded engine produces.
 *
 * k6 times a request from its actual send; in arrival-rate executors an
 * iteration starts on schedule while a VU is free, so both latency figures
 * carry k6's value and dropped iterations show the rest.
 */
import type { CounterSeries, MetricFamily, Series, SeriesTags } from '../../record/index.ts'
import { createHistogram, encodeHistogram, type Histogram, recordMs } from '../../record/histogram.ts'
import { takeCounterChanges } from '../recorder.ts'

export interface K6Point {
  metric: string
  /** Epoch ms. */
  time: number
  value: number
  tags: Record<string, string>
}

const FAMILIES: Record<string, MetricFamily> = {
  oauth_token_duration: 'oauth_token',
  rs_request_duration: 'rs_request',
  oauth_authorize_duration: 'oauth_authorize',
  introspection_duration: 'introspection',
  browser_login_duration: 'browser_login',
}
const COUNTERS = new Set([
  'dropped_iterations',
  'iterations',
  'reauth_on_401',
  'vus',
  'dpop_nonce_retries',
  'dpop_proof_rejections',
])
const KEPT_TAGS = ['flow', 'endpoint', 'status', 'error', 'reason', 'target', 'grant', 'token'] as const

/**
 * Parse one line of k6 JSON output. Returns null for Metric declarations and
 * blank lines; throws on a line that is not k6 JSON output.
 *
 * @example parseK6Line('{"type":"Point","data":{"time":"2017-05-09T14:34:45.239531499+02:00","value":459.8,"tags":{"status":"200"}},"metric":"http_req_duration"}')
 */
export function parseK6Line(line: string): K6Point | null {
  const trimmed = line.trim()
  if (trimmed === '') return null
  const obj = JSON.parse(trimmed) as {
    type?: string
    metric?: string
    data?: { time?: string; value?: number; tags?: Record<string, string> | null }
  }
  if (obj.type === 'Metric') return null
  if (
    obj.type !== 'Point' ||
    typeof obj.metric !== 'string' ||
    !obj.data ||
    typeof obj.data.value !== 'number' ||
    typeof obj.data.time !== 'string'
  ) {
    throw new Error(`not a k6 JSON output line: ${trimmed.slice(0, 80)}`)
  }
  const time = Date.parse(obj.data.time)
  if (Number.isNaN(time)) throw new Error(`bad time in k6 output: ${obj.data.time}`)
  return { metric: obj.metric, time, value: obj.data.value, tags: obj.data.tags ?? {} }
}

interface SeriesAcc {
  metric: MetricFamily
  tags: SeriesTags
  failed: boolean
  buckets: Map<number, { count: number; h: Histogram; sent?: number; sentLatency?: number }>
}

/** Accumulates k6 points into per-second series relative to t0. */
export class K6ResultCollector {
  readonly #t0: number
  readonly #series = new Map<string, SeriesAcc>()
  readonly #counters = new Map<
    string,
    {
      name: string
      tags: Record<string, string>
      values: Map<number, number>
      sent: Map<number, number>
      gauge: boolean
    }
  >()
  /** Last second seen, for progress. */
  lastSecond = -1
  points = 0

  constructor(t0: number) {
    this.#t0 = t0
  }

  add(p: K6Point): void {
    const s = Math.max(0, Math.floor((p.time - this.#t0) / 1000))
    this.lastSecond = Math.max(this.lastSecond, s)
    this.points++
    const family = FAMILIES[p.metric]
    if (family) {
      const tags: SeriesTags = {
        flow: p.tags.flow ?? p.tags.scenario ?? 'unknown',
        endpoint: p.tags.endpoint ?? 'unknown',
        status: p.tags.status ?? '0',
      }
      for (const k of KEPT_TAGS) if (p.tags[k] !== undefined && p.tags[k] !== '') tags[k] = p.tags[k]
      const failed = p.tags.failed === 'true'
      const key = `${family}|${failed}|${KEPT_TAGS.map((k) => tags[k] ?? '').join('|')}`
      let acc = this.#series.get(key)
      if (!acc) {
        acc = { metric: family, tags, failed, buckets: new Map() }
        this.#series.set(key, acc)
      }
      let b = acc.buckets.get(s)
      if (!b) {
        b = { count: 0, h: createHistogram() }
        acc.buckets.set(s, b)
      }
      b.count++
      recordMs(b.h, p.value)
      return
    }
    if (COUNTERS.has(p.metric)) {
      const tags: Record<string, string> = {}
      if (p.tags.scenario) tags.flow = p.tags.scenario
      if (p.tags.reason) tags.reason = p.tags.reason
      const name = p.metric === 'vus' ? 'vus' : p.metric
      const key = `${name}|${tags.flow ?? ''}|${tags.reason ?? ''}`
      let c = this.#counters.get(key)
      if (!c) {
        c = { name, tags, values: new Map(), sent: new Map(), gauge: p.metric === 'vus' }
        this.#counters.set(key, c)
      }
      const prev = c.values.get(s) ?? 0
      c.values.set(s, c.gauge ? Math.max(prev, p.value) : prev + p.value)
    }
  }

  /** Requests, failures and p95 in one second, for progress lines. */
  secondStats(s: number): { count: number; failed: number; dropped: number } {
    let count = 0
    let failed = 0
    for (const acc of this.#series.values()) {
      const b = acc.buckets.get(s)
      if (!b) continue
      count += b.count
      if (acc.failed) failed += b.count
    }
    let dropped = 0
    for (const c of this.#counters.values()) if (c.name === 'dropped_iterations') dropped += c.values.get(s) ?? 0
    return { count, failed, dropped }
  }

  /**
   * The seconds before `beforeSecond` that changed since the last call, for
   * live scoring, as the embedded recorder streams them: each second whole,
   * its latency once `latencyLagSeconds` more have passed (empty before).
   *
   * @example const { series, counters } = collector.takeChanges(Math.floor((Date.now() - t0) / 1000))
   */
  takeChanges(beforeSecond: number, latencyLagSeconds = 2): { series: Series[]; counters: CounterSeries[] } {
    const series: Series[] = []
    for (const acc of this.#series.values()) {
      const buckets: Series['buckets'] = []
      for (const [s, b] of acc.buckets) {
        if (s >= beforeSecond) continue
        const withLatency = s < beforeSecond - latencyLagSeconds
        if (withLatency ? b.sentLatency === b.count : b.sent === b.count) continue
        b.sent = b.count
        if (withLatency) b.sentLatency = b.count
        buckets.push({ s, count: b.count, latency: withLatency ? encodeHistogram(b.h) : '', latencyUncorrected: '' })
      }
      if (buckets.length)
        series.push({
          metric: acc.metric,
          tags: acc.tags,
          failed: acc.failed,
          buckets: buckets.sort((a, b) => a.s - b.s),
        })
    }
    return { series, counters: takeCounterChanges(this.#counters.values(), beforeSecond) }
  }

  series(): Series[] {
    return [...this.#series.values()].map((acc) => ({
      metric: acc.metric,
      tags: acc.tags,
      failed: acc.failed,
      buckets: [...acc.buckets.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([s, b]) => {
          const enc = encodeHistogram(b.h)
          return { s, count: b.count, latency: enc, latencyUncorrected: enc }
        }),
    }))
  }

  counters(): CounterSeries[] {
    return [...this.#counters.values()].map((c) => ({
      name: c.name,
      tags: c.tags,
      values: [...c.values.entries()].sort((a, b) => a[0] - b[0]).map(([s, value]) => ({ s, value })),
    }))
  }
}
