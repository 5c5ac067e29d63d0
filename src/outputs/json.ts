/**
 * `--out-metrics json=FILE`: the engine's metrics as JSON lines in k6's
 * `--out json` format — a `Metric` line declaring each metric once, then
 * `Point` lines `{"type":"Point","metric":…,"data":{"time":…,"value":…,"tags":{…}}}`.
 * Points are written each second: counters as increments since the previous
 * point (k6's counter samples add up to the total), gauges as their level,
 * latency as classic histogram buckets (`<family>_duration_bucket` with an
 * `le` tag, `_sum`, `_count`) in milliseconds, k6's unit for time values.
 * Every point carries `run_id` and `scenario`. Several scenarios in one
 * `run` append to the same file; a new command starts it afresh.
 */
import { type FileHandle, open } from 'node:fs/promises'
import { resolve } from 'node:path'
import { maskSecrets } from '../util/secrets.ts'
import { LATENCY_BUCKETS_SECONDS, type MetricsOutputDefinition, type MetricsSnapshot } from './types.ts'

/** Files opened by this process: the first open truncates, later runs of the same command append. */
const opened = new Set<string>()

type K6Type = 'counter' | 'gauge'

function keyOf(name: string, tags: Readonly<Record<string, string>>): string {
  return `${name}|${JSON.stringify(Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : 1)))}`
}

/** Render the points of a snapshot that changed since `last` (updated in place); `declared` holds the metrics already declared. */
export function jsonLines(
  snap: MetricsSnapshot,
  runLabels: Readonly<Record<string, string>>,
  last: Map<string, number>,
  declared: Set<string>,
): string[] {
  const time = new Date(snap.at).toISOString()
  const lines: string[] = []
  const point = (
    metric: string,
    type: K6Type,
    contains: 'default' | 'time',
    tags: Record<string, string>,
    v: number,
  ) => {
    const key = keyOf(metric, tags)
    const before = last.get(key)
    const value = type === 'counter' ? v - (before ?? 0) : v
    if (type === 'counter' ? value <= 0 : before === v) return
    last.set(key, v)
    if (!declared.has(metric)) {
      declared.add(metric)
      lines.push(
        JSON.stringify({
          type: 'Metric',
          metric,
          data: { name: metric, type, contains, tainted: null, thresholds: [], submetrics: null },
        }),
      )
    }
    lines.push(JSON.stringify({ type: 'Point', metric, data: { time, value, tags: { ...tags, ...runLabels } } }))
  }
  for (const s of snap.scalars) point(s.name, s.kind, 'default', { ...s.labels }, s.value)
  for (const h of snap.histograms) {
    h.buckets.forEach((n, i) => {
      const bound = LATENCY_BUCKETS_SECONDS[i]
      const le = bound === undefined ? '+Inf' : String(Math.round(bound * 1e6) / 1e3)
      point(`${h.name}_bucket`, 'counter', 'default', { ...h.labels, le }, n)
    })
    point(`${h.name}_sum`, 'counter', 'time', { ...h.labels }, Math.round(h.sum * 1e6) / 1e3)
    point(`${h.name}_count`, 'counter', 'default', { ...h.labels }, h.count)
  }
  return lines
}

export const json: MetricsOutputDefinition = {
  id: 'json',
  summary: "JSON lines in k6's --out json format (Metric and Point lines), appended each second",
  argument: 'FILE',
  check(arg) {
    if (!arg.trim()) throw new Error('json needs a file: json=FILE')
  },
  async start(arg, ctx) {
    const path = resolve(arg)
    const first = !opened.has(path)
    opened.add(path)
    const handle: FileHandle = await open(path, first ? 'w' : 'a')
    const last = new Map<string, number>()
    const declared = new Set<string>()
    const runLabels = { run_id: ctx.runId, scenario: ctx.scenario }
    let failed = false
    return {
      intervalMs: 1000,
      async write(snap) {
        const lines = jsonLines(snap, runLabels, last, declared)
        if (lines.length === 0 || failed) return
        try {
          await handle.appendFile(maskSecrets(`${lines.join('\n')}\n`))
        } catch (err) {
          failed = true
          ctx.log.warn({ output: 'json', path, err: (err as Error).message }, 'metrics_output.write_failed')
          ctx.emit('metrics_output.write_failed', { output: 'json', message: (err as Error).message })
        }
      },
      async close() {
        await handle.close()
      },
    }
  },
}
