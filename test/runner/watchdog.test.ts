/**
 * The health watchdog on the fake stack and engine (test/helpers/fake-stack.ts),
 * whose AS health route is a real loopback server: a route that starts
 * failing mid-run ends the run as errored (exit 103) with a
 * `component.unresponsive` event, every report written and the record's exit
 * code the process's; the same failure inside the window of a fault that
 * declares it makes the AS unavailable (token-endpoint-overload via the AS)
 * does not. The fake engine runs on the real clock (1 s checks).
 */
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../src/log.ts'
import type { RunRecord } from '../../src/record/index.ts'
import { formatRunSummary } from '../../src/cli/summary.ts'
import { runScenario } from '../../src/runner/run.ts'
import { slos } from '../../src/slo/index.ts'
import { parseScenario } from '../../src/scenario/load.ts'
import type { Verdict } from '../../src/slo/types.ts'
import type { SeriesSpec } from '../fixtures/records/build.ts'
import { fakeEngine, fakeRuntime } from '../helpers/fake-stack.ts'

const scenarioText = (duration: string, timeline: string) => `id: watched
title: a watched run on a fake stack
description: the AS health route is checked every second
stack:
  authorizationServer: {}
  resourceServers:
    - { name: orders, profile: resilient }
load:
  duration: ${duration}
  warmup: 0s
  flows:
    - { flow: client-credentials, executor: constant-arrival-rate, rate: 20 }
timeline: ${timeline}
slos:
  - { id: M1, objective: 'rate>0.99' }
`

const tokens: SeriesSpec[] = [{ metric: 'oauth_token', rate: 20, latencyMs: 10 }]
const silent = createLogger({ name: 'watchdog-test', level: 'silent' })

describe('health watchdog', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gameday-watchdog-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('ends the run as errored (exit 103) with component.unresponsive when a health route fails 5 checks in a row', async () => {
    const { scenario } = parseScenario(scenarioText('40s', '[]'), 'watched.yaml')
    const runtime = fakeRuntime({ health: true })
    let failedFrom: number | undefined
    const { record, verdict, exitCode, runDir } = await runScenario(scenario, {
      engine: fakeEngine(tokens),
      runtime,
      outDir: join(dir, 'unresponsive'),
      seed: 1,
      log: silent,
      onProgress: (p) => {
        if (p.elapsedMs >= 1000 && failedFrom === undefined) {
          failedFrom = p.elapsedMs
          runtime.health.failing = true
        }
      },
    })
    expect(failedFrom, 'the route was made to fail').toBeDefined()
    expect(exitCode).toBe(103)
    expect(record).toMatchObject({ status: 'errored', exitCode: 103, error: { code: 'ERR_COMPONENT_UNRESPONSIVE' } })
    expect(record.error!.message).toContain('component as stopped answering its health route')
    expect(record.error!.message).toContain('answered 503')
    expect(record.error!.hint).toContain("the harness's own as hung")
    const lost = record.events.filter((e) => e.type === 'component.unresponsive')
    expect(lost).toHaveLength(1)
    expect(lost[0]!.data).toMatchObject({ component: 'as', url: expect.stringMatching(/\/healthz$/) })
    expect(lost[0]!.data!.error).toContain('answered 503')
    expect(lost[0]!.data!.at).toBeTypeOf('number')
    // ended by the watchdog, long before the 40 s of load
    expect(record.load.aborted).toBe(true)
    expect(record.load.durationMs).toBeLessThan(40_000)
    // the checks are deliberate traffic, marked so no SLI counts them; 5 failed ones after the healthy ones
    expect(runtime.health.checks.length).toBeGreaterThanOrEqual(5)
    expect(new Set(runtime.health.checks)).toEqual(new Set(['watchdog']))
    expect(verdict.exitCode).toBe(103)
    const json = JSON.parse(await readFile(join(runDir, 'run.json'), 'utf8')) as { record: RunRecord; verdict: Verdict }
    expect(json.record).toMatchObject({ status: 'errored', exitCode: 103 })
    expect(json.verdict.exitCode).toBe(103)
    for (const f of ['summary.md', 'junit.xml', 'report.html']) expect(existsSync(join(runDir, f)), f).toBe(true)
    const summary = await readFile(join(runDir, 'summary.md'), 'utf8')
    expect(summary.split('\n')[0]).toBe('# ⚠️ ERRORED — watched')
    expect(summary).toContain('ERR_COMPONENT_UNRESPONSIVE')
    expect(summary).not.toMatch(/SLO broke/i)
    expect(runtime.stops).toBe(1)
  })

  it('ends the run as errored (exit 103) with target.unreachable when an external RS stops answering mid-run', async () => {
    const { scenario } = parseScenario(scenarioText('40s', '[]'), 'watched.yaml')
    const runtime = fakeRuntime({ externalRs: true })
    let closed = false
    const { record, verdict, exitCode, runDir } = await runScenario(scenario, {
      engine: fakeEngine(tokens),
      runtime,
      outDir: join(dir, 'lost'),
      seed: 1,
      log: silent,
      onProgress: (p) => {
        if (p.elapsedMs >= 1000 && !closed) {
          closed = true
          runtime.closeExternalRs()
        }
      },
    })
    expect(closed).toBe(true)
    const url = record.targets.resourceServers.find((r) => r.name === 'my-other-api')!.url
    expect(exitCode).toBe(103)
    expect(record).toMatchObject({ status: 'errored', exitCode: 103, error: { code: 'ERR_TARGET_LOST' } })
    expect(record.error!.message).toBe(
      `resource server my-other-api at ${url}: connection refused: nothing listens on that port (ECONNREFUSED); it answered at preflight and was lost during the run (5 checks in a row failed)`,
    )
    expect(record.error!.hint).toContain('is resource server my-other-api running?')
    const lost = record.events.filter((e) => e.type === 'target.unreachable')
    expect(lost).toHaveLength(1)
    expect(lost[0]!.data).toMatchObject({ target: 'resource server my-other-api', url })
    expect(record.events.some((e) => e.type === 'component.unresponsive')).toBe(false)
    expect(record.load.aborted).toBe(true)
    expect(verdict.exitCode).toBe(103)
    const json = JSON.parse(await readFile(join(runDir, 'run.json'), 'utf8')) as { record: RunRecord; verdict: Verdict }
    expect(json.record).toMatchObject({ status: 'errored', exitCode: 103, error: { code: 'ERR_TARGET_LOST' } })
    // the reports say what errored, never that an SLO broke
    const summary = await readFile(join(runDir, 'summary.md'), 'utf8')
    expect(summary.split('\n')[0]).toBe('# ⚠️ ERRORED — watched')
    expect(summary).toContain('ERR_TARGET_LOST')
    expect(summary).toContain('is resource server my-other-api running?')
    expect(summary).not.toMatch(/SLO broke|exit 99/i)
    const junit = await readFile(join(runDir, 'junit.xml'), 'utf8')
    expect(junit).toContain('type="ERR_TARGET_LOST"')
    const console = formatRunSummary(record, verdict, slos)
    expect(console).toContain('the run errored: ERR_TARGET_LOST: resource server my-other-api at')
    expect(console).toContain('hint: is resource server my-other-api running?')
  })

  it('does not count a component failing inside the window of a fault that makes it unavailable on purpose', async () => {
    // token-endpoint-overload via the AS declares makesUnavailable: ['as']; the route fails for 6 s inside its window
    const timeline =
      '\n  - { at: 1s, fault: token-endpoint-overload, duration: 8s, params: { via: as, latencyMs: 10, errorRatio: 0 } }'
    const { scenario } = parseScenario(scenarioText('11s', timeline), 'watched.yaml')
    const runtime = fakeRuntime({ health: true })
    const failing: number[] = []
    const { record, exitCode } = await runScenario(scenario, {
      engine: fakeEngine(tokens),
      runtime,
      outDir: join(dir, 'excused'),
      seed: 1,
      log: silent,
      onProgress: (p) => {
        runtime.health.failing = p.elapsedMs >= 2000 && p.elapsedMs < 8000
        if (runtime.health.failing) failing.push(p.elapsedMs)
      },
    })
    const journal = JSON.stringify({ events: record.events, faults: record.faults, failing })
    expect(failing.length, 'the route failed for more than 5 checks').toBeGreaterThanOrEqual(6)
    expect(record.faults.map((f) => f.status)).toEqual(['reverted'])
    expect(
      record.events.filter((e) => e.type === 'component.unresponsive'),
      journal,
    ).toEqual([])
    expect(record.status, journal).toBe('completed')
    expect(exitCode).toBe(0)
  })
})
