/**
 * `--out-metrics prometheus-rw=URL`: the engine's metrics pushed by
 * Prometheus remote write 1.0 (protobuf `WriteRequest`, snappy block
 * compression), as k6's `experimental-prometheus-rw` does. Names are
 * `gameday_`-prefixed, counters end in `_total`, latency is a classic
 * histogram in seconds (`gameday_<family>_duration_seconds_bucket{le}`,
 * `_sum`, `_count`); every series carries `run_id` and `scenario`. A push
 * goes every 5 s (`GAMEDAY_PROMETHEUS_RW_PUSH_INTERVAL`, like k6's
 * `K6_PROMETHEUS_RW_PUSH_INTERVAL`) and once at the end. A failed push is a
 * warning and a run event, never a failed run.
 */
import { parseDuration } from '../util/duration.ts'
import { PACKAGE_VERSION } from '../util/package-root.ts'
import { maskSecrets } from '../util/secrets.ts'
import { LATENCY_BUCKETS_SECONDS, type MetricsOutputDefinition, type MetricsSnapshot } from './types.ts'
import { encodeWriteRequest, type RemoteSeries } from './write-request.ts'

/** The environment variable of the push interval (a k6-style duration). */
export const PUSH_INTERVAL_ENV = 'GAMEDAY_PROMETHEUS_RW_PUSH_INTERVAL'
const DEFAULT_PUSH_MS = 5000
const MIN_PUSH_MS = 100
/** Push failures recorded as run events; the rest are only counted in the last one. */
const MAX_FAILURE_EVENTS = 10

function pushIntervalMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[PUSH_INTERVAL_ENV]
  if (raw === undefined || raw === '') return DEFAULT_PUSH_MS
  const ms = parseDuration(raw)
  if (ms === undefined || ms < MIN_PUSH_MS)
    throw new Error(
      `${PUSH_INTERVAL_ENV} must be a duration of at least ${MIN_PUSH_MS}ms such as 5s (got ${JSON.stringify(raw)})`,
    )
  return ms
}

function parseUrl(arg: string): URL {
  let url: URL
  try {
    url = new URL(arg)
  } catch {
    throw new Error('prometheus-rw needs an http(s) URL such as http://127.0.0.1:9090/api/v1/write')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`prometheus-rw needs an http(s) URL (got protocol ${url.protocol})`)
  // a password in a URL would end up in shell history and process lists: not taken
  if (url.username || url.password)
    throw new Error(
      'prometheus-rw takes no credentials in the URL: push to a receiver that needs none (a local Prometheus)',
    )
  return url
}

const LABEL = /[^a-zA-Z0-9_]/g
function labelName(k: string): string {
  const n = k.replace(LABEL, '_')
  return /^[0-9]/.test(n) ? `_${n}` : n
}

/**
 * The remote-write series of a snapshot, Prometheus-named.
 *
 * @example remoteSeries(snap, { run_id: 'r1', scenario: 'baseline' }, Date.now())
 */
export function remoteSeries(
  snap: MetricsSnapshot,
  runLabels: Readonly<Record<string, string>>,
  timestamp: number,
): RemoteSeries[] {
  const out: RemoteSeries[] = []
  const add = (
    name: string,
    labels: Readonly<Record<string, string>>,
    value: number,
    extra?: Record<string, string>,
  ) => {
    const l: Record<string, string> = {}
    for (const [k, v] of Object.entries(labels)) l[labelName(k)] = v
    Object.assign(l, extra, runLabels, { __name__: `gameday_${name.replace(LABEL, '_')}` })
    out.push({ labels: l, samples: [{ value, timestamp }] })
  }
  for (const s of snap.scalars) add(s.kind === 'counter' ? `${s.name}_total` : s.name, s.labels, s.value)
  for (const h of snap.histograms) {
    h.buckets.forEach((n, i) => {
      const bound = LATENCY_BUCKETS_SECONDS[i]
      add(`${h.name}_seconds_bucket`, h.labels, n, { le: bound === undefined ? '+Inf' : String(bound) })
    })
    add(`${h.name}_seconds_sum`, h.labels, h.sum)
    add(`${h.name}_seconds_count`, h.labels, h.count)
  }
  return out
}

export const prometheusRw: MetricsOutputDefinition = {
  id: 'prometheus-rw',
  summary: `Prometheus remote write (protobuf + snappy), every 5 s (${PUSH_INTERVAL_ENV}) and at the end, like k6's experimental-prometheus-rw`,
  argument: 'URL',
  check(arg) {
    parseUrl(arg)
    pushIntervalMs()
  },
  async start(arg, ctx) {
    const url = parseUrl(arg)
    const intervalMs = pushIntervalMs()
    // CommonJS: named under Node's loader, on the default export once bundled
    const mod = await import('snappyjs')
    const compress = mod.compress ?? mod.default.compress
    const headers: Record<string, string> = {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'snappy',
      'x-prometheus-remote-write-version': '0.1.0',
      'user-agent': `oauth-gameday/${PACKAGE_VERSION}`,
    }
    const where = `${url.origin}${url.pathname}`
    const runLabels = { run_id: ctx.runId, scenario: ctx.scenario }
    let lastTs = 0
    let failures = 0
    let pushes = 0
    return {
      intervalMs,
      async write(snap) {
        // a series' samples must be newer than the last one pushed
        const timestamp = Math.max(snap.at, lastTs + 1)
        lastTs = timestamp
        const series = remoteSeries(snap, runLabels, timestamp)
        if (series.length === 0) return
        let problem: { status?: number; message: string } | undefined
        try {
          const res = await fetch(url, {
            method: 'POST',
            headers,
            body: compress(Buffer.from(encodeWriteRequest(series))),
            signal: AbortSignal.timeout(Math.max(2000, intervalMs)),
          })
          const text = await res.text().catch(() => '')
          if (!res.ok)
            problem = { status: res.status, message: maskSecrets(text.trim().slice(0, 200)) || res.statusText }
        } catch (err) {
          const e = err as Error & { cause?: { code?: string; message?: string } }
          problem = { message: maskSecrets(e.cause?.code ?? e.cause?.message ?? e.message) }
        }
        if (!problem) {
          pushes++
          ctx.log.debug({ output: 'prometheus-rw', url: where, series: series.length }, 'metrics_output.pushed')
          return
        }
        failures++
        ctx.log.warn({ output: 'prometheus-rw', url: where, ...problem, failures }, 'metrics_output.push_failed')
        if (failures <= MAX_FAILURE_EVENTS)
          ctx.emit('metrics_output.push_failed', { output: 'prometheus-rw', url: where, ...problem, failures })
      },
      async close() {
        ctx.log.info({ output: 'prometheus-rw', url: where, pushes, failures }, 'metrics_output.closed')
      },
    }
  },
}
