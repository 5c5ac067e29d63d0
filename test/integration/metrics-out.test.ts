/**
 * `run --out-metrics`: a short real run streams the engine's metrics as k6
 * JSON lines and by remote write into a real Prometheus started with
 * `--web.enable-remote-write-receiver`; what Prometheus answers for the run
 * id equals the engine's own count. A run interrupted mid-way still writes
 * its last points, and a push nothing receives is a warning and an event,
 * not a failed run.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { createLogger } from '../../src/log.ts'
import { requirePrometheusTool } from '../../src/prometheus/binaries.ts'
import { type StartedPrometheus, startPrometheus } from '../../src/prometheus/server.ts'
import type { RunRecord } from '../../src/record/index.ts'
import { runScenario } from '../../src/runner/run.ts'
import { parseScenario } from '../../src/scenario/load.ts'
import { describeWithTool } from '../helpers/require-tool.ts'

vi.setConfig({ testTimeout: 120_000 })

const scenario = (duration: string) =>
  parseScenario(
    `
id: metrics-out
title: metrics out
stack:
  authorizationServer: {}
  resourceServers:
    - { name: orders, profile: resilient }
load:
  duration: ${duration}
  flows:
    - { flow: client-credentials, executor: constant-arrival-rate, rate: 5 }
    - { flow: api-call, target: orders, executor: constant-arrival-rate, rate: 20, preAllocatedVUs: 5, maxVUs: 20 }
slos:
  - { id: M3, objective: 'rate<0.01' }
`,
    'metrics-out.yaml',
    { skipSecrets: true },
  ).scenario

const log = createLogger({ name: 'test', level: 'silent' })
const requests = (record: RunRecord, metric: string) =>
  record.load.series
    .filter((s) => s.metric === metric)
    .reduce((n, s) => n + s.buckets.reduce((m, b) => m + b.count, 0), 0)
const points = async (file: string) =>
  (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .map(
      (l) => JSON.parse(l) as { type: string; metric: string; data: { value: number; tags: Record<string, string> } },
    )
const total = (lines: Awaited<ReturnType<typeof points>>, metric: string) =>
  lines.filter((l) => l.type === 'Point' && l.metric === metric).reduce((n, l) => n + l.data.value, 0)

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port
      srv.close(() => resolve(port))
    })
  })
}

describeWithTool('prometheus', 'run --out-metrics', () => {
  let prom: StartedPrometheus
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gameday-metrics-out-'))
    prom = await startPrometheus({
      bin: requirePrometheusTool('prometheus'),
      targets: [],
      rules: 'groups: []\n',
      extraArgs: ['--web.enable-remote-write-receiver'],
      log,
    })
    process.env.GAMEDAY_PROMETHEUS_RW_PUSH_INTERVAL = '1s'
  })
  afterAll(async () => {
    delete process.env.GAMEDAY_PROMETHEUS_RW_PUSH_INTERVAL
    await prom?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  const query = async (q: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> => {
    const res = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(q)}`)
    const body = (await res.json()) as {
      status: string
      data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> }
    }
    expect(body.status).toBe('success')
    return body.data.result
  }

  it("pushes the engine's counts to a real Prometheus and writes the same as k6 JSON lines", async () => {
    const file = join(dir, 'metrics.jsonl')
    const { record } = await runScenario(scenario('6s'), {
      outDir: dir,
      seed: 1,
      log,
      metricsOutputs: [
        { id: 'json', arg: file },
        { id: 'prometheus-rw', arg: `${prom.url}/api/v1/write` },
      ],
    })
    expect(record.status).toBe('completed')
    const rs = requests(record, 'rs_request')
    const token = requests(record, 'oauth_token')
    expect(rs).toBeGreaterThan(60)
    expect(token).toBeGreaterThan(10)
    const id = `run_id="${record.runId}"`
    const [reqs] = await query(`sum(gameday_rs_request_reqs_total{${id}})`)
    expect(Number(reqs!.value[1])).toBe(rs)
    const [count] = await query(`sum(gameday_rs_request_duration_seconds_count{${id}})`)
    expect(Number(count!.value[1])).toBe(rs)
    const [tokens] = await query(`sum(gameday_oauth_token_reqs_total{${id}, scenario="metrics-out"})`)
    expect(Number(tokens!.value[1])).toBe(token)
    const inf = await query(`gameday_rs_request_duration_seconds_bucket{${id}, le="+Inf", failed="false"}`)
    expect(inf.length).toBeGreaterThan(0)
    expect(inf[0]!.metric).toMatchObject({ target: 'orders', flow: expect.any(String), status: '200' })
    const [p95] = await query(
      `histogram_quantile(0.95, sum by (le) (gameday_rs_request_duration_seconds_bucket{${id}}))`,
    )
    expect(Number(p95!.value[1])).toBeGreaterThan(0)
    expect(record.events.filter((e) => e.type.startsWith('metrics_output.'))).toEqual([])

    const lines = await points(file)
    expect(total(lines, 'rs_request_reqs')).toBe(rs)
    expect(total(lines, 'oauth_token_reqs')).toBe(token)
    expect(total(lines, 'rs_request_duration_count')).toBe(rs)
    expect(lines.filter((l) => l.type === 'Point').every((l) => l.data.tags.run_id === record.runId)).toBe(true)
    expect(new Set(lines.filter((l) => l.type === 'Metric').map((l) => l.metric)).size).toBe(
      lines.filter((l) => l.type === 'Metric').length,
    )
    // no token, secret or Authorization value in a tag
    expect(await readFile(file, 'utf8')).not.toMatch(/eyJ|secret|Bearer|DPoP/)
  })

  it('writes the last points of an interrupted run, and a push nothing receives is only a warning and an event', async () => {
    const file = join(dir, 'interrupted.jsonl')
    const controller = new AbortController()
    const run = runScenario(scenario('20s'), {
      outDir: dir,
      seed: 2,
      log,
      signal: controller.signal,
      // Ctrl-C three seconds into the load, however long the stack took to start
      onProgress: (p) => {
        if (p.elapsedMs > 3000) controller.abort(new Error('SIGINT'))
      },
      metricsOutputs: [
        { id: 'json', arg: file },
        { id: 'prometheus-rw', arg: `http://127.0.0.1:${await closedPort()}/api/v1/write` },
      ],
    })
    const { record } = await run
    expect(record.status).toBe('interrupted')
    const rs = requests(record, 'rs_request')
    expect(rs).toBeGreaterThan(0)
    expect(total(await points(file), 'rs_request_reqs')).toBe(rs)
    const failures = record.events.filter((e) => e.type === 'metrics_output.push_failed')
    expect(failures.length).toBeGreaterThan(0)
    expect(failures[0]!.data).toMatchObject({ output: 'prometheus-rw', message: 'ECONNREFUSED' })
  })
})
