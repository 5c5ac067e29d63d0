/**
 * `run --prometheus` end to end with the real Prometheus: a key-rotation game
 * day against a fixed-ttl RS (which never refetches on an unknown kid) fires
 * the M3 page alert inside the fault window and records its time to detect;
 * a clean run fires nothing; nothing of Prometheus is left running or on disk.
 */
import { execFileSync } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createLogger } from '../../src/log.ts'
import { runScenario } from '../../src/runner/run.ts'
import { parseScenario } from '../../src/scenario/load.ts'
import { describeWithTool } from '../helpers/require-tool.ts'

vi.setConfig({ testTimeout: 180_000 })

const rotation = (profile: string) => `
id: rotation-${profile}
title: rotation against ${profile}
stack:
  authorizationServer: { accessTokenTtl: 5s }
  resourceServers:
    - { name: orders, profile: ${profile} }
load:
  duration: 30s
  warmup: 3s
  flows:
    - { flow: client-credentials, executor: constant-arrival-rate, rate: 10 }
    - { flow: api-call, target: orders, executor: constant-arrival-rate, rate: 40, preAllocatedVUs: 10, maxVUs: 40 }
timeline:
  - { at: 8s, fault: bad-key-rotation, duration: 12s, params: { mode: sign-before-publish, unpublishedFor: 3s } }
slos:
  - { id: M3, objective: 'rate<0.001' }
  - { id: D1, alert: M3, objective: 'max<15s' }
`

const clean = `
id: clean
title: no fault
stack:
  authorizationServer: {}
  resourceServers:
    - { name: orders, profile: resilient }
load:
  duration: 15s
  warmup: 2s
  flows:
    - { flow: client-credentials, executor: constant-arrival-rate, rate: 10 }
    - { flow: api-call, target: orders, executor: constant-arrival-rate, rate: 40, preAllocatedVUs: 10, maxVUs: 40 }
slos:
  - { id: M3, objective: 'rate<0.001' }
`

const leftovers = async () => (await readdir(tmpdir())).filter((f) => f.startsWith('oauth-gameday-prometheus-'))
const running = () =>
  execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes('oauth-gameday-prometheus-'))

describe('D1 and --prometheus, before anything starts', () => {
  it('refuses a scenario with D1 run without --prometheus', async () => {
    const { scenario } = parseScenario(rotation('resilient'), 'rotation-resilient.yaml', { skipSecrets: true })
    const out = await mkdtemp(join(tmpdir(), 'gameday-d1-'))
    try {
      await expect(runScenario(scenario, { outDir: out })).rejects.toMatchObject({
        code: 'ERR_SCENARIO_INVALID',
        exitCode: 104,
        hint: expect.stringContaining('--prometheus'),
      })
      expect(await readdir(out)).toEqual([])
    } finally {
      await rm(out, { recursive: true, force: true })
    }
  })

  it('refuses D1 timing an SLO that has no alert', () => {
    const text = rotation('resilient').replace('alert: M3', 'alert: M9')
    let err: unknown
    try {
      parseScenario(text, 'rotation-resilient.yaml', { skipSecrets: true })
    } catch (e) {
      err = e
    }
    expect(err).toMatchObject({
      code: 'ERR_SCENARIO_INVALID',
      issues: [
        {
          path: ['slos', 1, 'alert'],
          message: expect.stringContaining('must be an SLO with a server-side SLI (got "M9"'),
        },
      ],
    })
  })
})

describe('run --prometheus without Prometheus', () => {
  it('refuses the run before anything starts, with the install hint', async () => {
    const { scenario } = parseScenario(clean, 'clean.yaml', { skipSecrets: true })
    const saved = process.env.PROMETHEUS_BIN
    process.env.PROMETHEUS_BIN = '/nonexistent/prometheus'
    const out = await mkdtemp(join(tmpdir(), 'gameday-prom-none-'))
    try {
      await expect(runScenario(scenario, { outDir: out, prometheus: true })).rejects.toMatchObject({
        code: 'ERR_ENV_PROMETHEUS_NOT_FOUND',
        hint: expect.stringContaining('apt-get install prometheus'),
      })
      expect(await readdir(out)).toEqual([])
    } finally {
      if (saved === undefined) delete process.env.PROMETHEUS_BIN
      else process.env.PROMETHEUS_BIN = saved
      await rm(out, { recursive: true, force: true })
    }
  })
})

describeWithTool('prometheus', 'run --prometheus', () => {
  let out: string
  let before: string[]
  const log = createLogger({ name: 'test', level: 'warn' })
  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'gameday-prom-run-'))
    before = await leftovers()
  })
  afterAll(async () => {
    await rm(out, { recursive: true, force: true })
  })

  it('pages on a rotation the fixed-ttl RS cannot follow, with its time to detect', async () => {
    const { scenario } = parseScenario(rotation('fixed-ttl'), 'rotation-fixed-ttl.yaml', { skipSecrets: true })
    const { record, runDir, verdict } = await runScenario(scenario, { outDir: out, seed: 3, prometheus: true, log })
    expect(record.status).toBe('completed')
    const p = record.prometheus!
    expect(p.windows).toEqual([
      { severity: 'page', factor: 14.4, shortSeconds: 5, longSeconds: 30 },
      { severity: 'ticket', factor: 1, shortSeconds: 15, longSeconds: 30 },
    ])
    const fault = record.faults[0]!
    const page = p.detections.find((d) => d.alertname === 'GamedaySLO_M3_page')
    expect(page, JSON.stringify(p.transitions)).toBeDefined()
    expect(page).toMatchObject({ falseAlarm: false, fault: 'bad-key-rotation', slo: 'M3', severity: 'page' })
    expect(page!.firedAt).toBeGreaterThanOrEqual(fault.injectedAt)
    expect(page!.firedAt).toBeLessThanOrEqual(fault.revertedAt!)
    expect(page!.timeToDetectSeconds).toBeGreaterThan(0)
    expect(page!.timeToDetectSeconds).toBeLessThanOrEqual(12)
    expect(p.detections.filter((d) => d.falseAlarm)).toEqual([])
    const d1 = verdict.slos.find((x) => x.id === 'D1')!
    expect(d1).toMatchObject({ pass: true, noData: false })
    expect(d1.measured).toBe(page!.firedAt - fault.injectedAt)
    const firing = record.events.filter((e) => e.source === 'prometheus' && e.type === 'alert.firing')
    expect(firing.map((e) => e.data?.alertname)).toContain('GamedaySLO_M3_page')
    const summary = await readFile(join(runDir, 'summary.md'), 'utf8')
    expect(summary).toContain('**Alerts (Prometheus)**')
    expect(summary).toMatch(/\| GamedaySLO_M3_page \| bad-key-rotation \(#0\) \| [\d.]+s \| [\d.]+s \|/)
    expect(summary).toContain('page 14.4x over 5s and 30s')
    const html = await readFile(join(runDir, 'report.html'), 'utf8')
    expect(html).toContain('id="alerts"')
    const runJson = JSON.parse(await readFile(join(runDir, 'run.json'), 'utf8'))
    expect(runJson.record.prometheus.detections.length).toBe(p.detections.length)
    // time to detect, for the final report of this change
    console.info(`time to detect: ${p.detections.map((d) => `${d.alertname} ${d.timeToDetectSeconds}s`).join(', ')}`)
  })

  it('fires nothing on a run without a fault', async () => {
    const { scenario } = parseScenario(clean, 'clean.yaml', { skipSecrets: true })
    const { record } = await runScenario(scenario, { outDir: out, seed: 3, prometheus: true, log })
    expect(record.status).toBe('completed')
    expect(record.prometheus!.alerts.map((a) => a.alert)).toEqual(['GamedaySLO_M3_page', 'GamedaySLO_M3_ticket'])
    expect(record.prometheus!.transitions).toEqual([])
    expect(record.prometheus!.detections).toEqual([])
  })

  it('fails the run when Prometheus dies mid-run (a harness component, not the system under test)', async () => {
    const { scenario } = parseScenario(clean, 'clean.yaml', { skipSecrets: true })
    const run = runScenario(scenario, { outDir: out, seed: 3, prometheus: true, log })
    let pid: number | undefined
    for (let i = 0; i < 100 && pid === undefined; i++) {
      await new Promise((r) => setTimeout(r, 200))
      const line = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
        .split('\n')
        .find(
          (l) =>
            l.includes('--config.file=') &&
            l.includes('oauth-gameday-prometheus-') &&
            !before.some((b) => l.includes(b)),
        )
      if (line) pid = Number(line.trim().split(/\s+/)[0])
    }
    expect(pid).toBeGreaterThan(0)
    await new Promise((r) => setTimeout(r, 4000))
    process.kill(pid!, 'SIGKILL')
    const { record, exitCode } = await run
    expect(record.status).toBe('errored')
    expect(record.error?.code).toBe('ERR_PROMETHEUS_FAILED')
    expect(exitCode).toBe(103)
    expect(record.load.durationMs).toBeLessThan(15_000)
  })

  it('leaves no Prometheus running and no data on disk', async () => {
    expect(running()).toEqual([])
    expect(await leftovers()).toEqual(before)
  })
})
