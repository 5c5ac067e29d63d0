/**
 * abortOnFail on the fake stack and engine (test/helpers/fake-stack.ts): an
 * SLO with `abortOnFail` that breaks ends the run early through the runner's
 * one early-end mechanism — status aborted, abortedBy slo, exit 99, reports
 * written — but not before its `delayAbortEval`; without the flag the same
 * breach runs to the end. The fake engine runs on the real clock.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../src/log.ts'
import { runScenario } from '../../src/runner/run.ts'
import { parseScenario } from '../../src/scenario/load.ts'
import type { SeriesSpec } from '../fixtures/records/build.ts'
import { fakeEngine, fakeRuntime } from '../helpers/fake-stack.ts'

const text = (slo: string) => `id: aborting
title: an SLO with abortOnFail on a fake stack
stack:
  authorizationServer: {}
  resourceServers:
    - { name: orders, profile: resilient }
load:
  duration: 8s
  warmup: 0s
  flows:
    - { flow: client-credentials, executor: constant-arrival-rate, rate: 20 }
slos:
  - ${slo}
`

/** A fifth of the token requests fail, every second: M1 (rate>0.99) is broken from the first second. */
const failing: SeriesSpec[] = [
  { metric: 'oauth_token', rate: 16, latencyMs: 10 },
  {
    metric: 'oauth_token',
    tags: { status: '503', error: 'temporarily_unavailable' },
    failed: true,
    rate: 4,
    latencyMs: 10,
  },
]
const silent = createLogger({ name: 'abort-test', level: 'silent' })

describe('abortOnFail', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gameday-abort-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  const run = (slo: string, name: string) =>
    runScenario(parseScenario(text(slo), 'aborting.yaml').scenario, {
      engine: fakeEngine(failing),
      runtime: fakeRuntime(),
      outDir: join(dir, name),
      seed: 1,
      log: silent,
    })

  it('ends the run once the SLO is broken past delayAbortEval: aborted by slo, exit 99, reports written', async () => {
    const { record, exitCode, runDir } = await run(
      "{ id: M1, objective: 'rate>0.99', abortOnFail: true, delayAbortEval: 2s }",
      'abort',
    )
    const journal = JSON.stringify({ events: record.events, durationMs: record.load.durationMs })
    expect(record, journal).toMatchObject({ status: 'aborted', abortedBy: 'slo', exitCode: 99 })
    expect(exitCode).toBe(99)
    const at = record.events.find((e) => e.type === 'slo.abort')
    expect(at?.data).toEqual({ slo: 'M1', label: 'M1' })
    // not before the delay, and well before the 8 s of load
    expect(at!.t, journal).toBeGreaterThanOrEqual(2000)
    expect(record.load.durationMs, journal).toBeLessThan(7000)
    for (const f of ['run.json', 'summary.md', 'junit.xml', 'report.html'])
      expect(existsSync(join(runDir, f)), f).toBe(true)
  })

  it('runs to the end without abortOnFail, the same breach scored at the end', async () => {
    const { record, exitCode } = await run("{ id: M1, objective: 'rate>0.99' }", 'no-abort')
    expect(record.status).toBe('completed')
    expect(record.events.some((e) => e.type === 'slo.abort')).toBe(false)
    expect(record.load.durationMs).toBe(8000)
    expect(exitCode).toBe(99)
  })
})
