/**
 * The login-storm game day at a low rate, in real Chromium: browser logins
 * keep succeeding through a correct and then a bad key rotation, PKCE stays
 * enforced, and the run's record carries the browser timings.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { chromiumPath } from '../../src/load/flows/browser-login.ts'
import { runScenario } from '../../src/runner.ts'
import { loadScenario } from '../../src/scenario/load.ts'

const chromium = chromiumPath()
if (!chromium && process.env.CI)
  throw new Error(
    'login-storm needs Chromium: install it with `apt-get install -y chromium` (CI must not skip this suite)',
  )
if (!chromium)
  console.warn('login-storm test skipped: no Chromium found (set CHROMIUM_PATH or apt-get install chromium)')

describe.skipIf(!chromium)('login-storm game day', () => {
  const dirs: string[] = []
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))))

  it('keeps browser logins working through two rotations at a low rate', { timeout: 240_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'login-storm-'))
    dirs.push(dir)
    const { scenario } = await loadScenario('scenarios/login-storm.yaml')
    // shortened: the same story in 24 s, one login every 2 s
    scenario.load.duration = '24s'
    scenario.load.warmup = '2s'
    scenario.load.gracefulStop = '5s'
    const [pkce, first, second] = scenario.timeline
    pkce!.at = '3s'
    Object.assign(first!, { at: '5s', duration: '6s' })
    Object.assign(second!, { at: '13s', duration: '6s' })
    for (const slo of scenario.slos) if (slo.id === 'L1') slo.objective = 'p(95)<20s'

    const { record, verdict } = await runScenario(scenario, { outDir: dir, seed: 3 })
    expect(record.status).toBe('completed')
    expect(record.faults.map((f) => [f.fault, f.status])).toEqual([
      ['bad-key-rotation', 'reverted'],
      ['bad-key-rotation', 'reverted'],
    ])
    const totals = record.load.series.filter((s) => s.metric === 'browser_login' && s.tags.endpoint === 'total')
    const logins = totals.reduce((n, s) => n + s.buckets.reduce((a, b) => a + b.count, 0), 0)
    expect(logins).toBeGreaterThanOrEqual(5)
    const byId = Object.fromEntries(verdict.slos.map((s) => [s.id, s]))
    expect(byId.M8).toMatchObject({ pass: true, noData: false })
    expect(byId.M10?.noData).toBe(false)
    expect(byId.M10?.measured).toBeLessThan(0.2)
    expect(record.probes.find((p) => p.probe === 'pkce-enforcement')?.value).toBe(true)
    expect(record.events.some((e) => e.type === 'signing_key.changed')).toBe(true)
  })
})
