import { readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { smokeDefaults } from '../cli/smoke.ts'
import { faults } from '../faults/index.ts'
import { parseDuration } from '../util/duration.ts'
import { loadScenario } from './load.ts'
import { checkRules } from './rules.ts'
import { SMOKE_MIN_LOAD_MS, smoke } from './smoke.ts'

const ms = (d: string | undefined) => parseDuration(d ?? '0s') ?? 0
const own = smokeDefaults
const shipped = readdirSync('scenarios').filter((f) => f.endsWith('.yaml'))

describe('smoke', () => {
  it('runs a scenario at a quarter of its length with every time scaled and fault params and probe timeouts unchanged', async () => {
    const { scenario } = await loadScenario('scenarios/bad-key-rotation.yaml', { skipSecrets: true })
    const original = structuredClone(scenario)
    const s = smoke(scenario, own)
    const f = ms(s.load.duration) / ms(scenario.load.duration)
    expect(f).toBeCloseTo(Math.max(0.25, SMOKE_MIN_LOAD_MS / ms(scenario.load.duration)), 2)
    expect(scenario).toEqual(original)
    expect(s.title).toContain('smoke')
    s.timeline.forEach((e, i) => {
      const o = scenario.timeline[i]!
      expect(Math.abs(ms(e.at) - ms(o.at) * f)).toBeLessThanOrEqual(50)
      expect(e.params).toEqual(o.params)
      if (e.fault) expect(ms(e.duration)).toBeLessThan(ms(o.duration ?? faults[o.fault!]!.defaultDuration))
    })
    expect(ms(s.load.warmup)).toBeLessThan(ms(scenario.load.warmup))
  })

  it.each(shipped)('keeps shipped %s valid (no fault reverted after the load, no flow past its end)', async (file) => {
    const { scenario } = await loadScenario(`scenarios/${file}`, { skipSecrets: true })
    const s = smoke(scenario, own)
    expect(checkRules(s)).toEqual([])
    expect(ms(s.load.duration)).toBeLessThanOrEqual(
      Math.max(SMOKE_MIN_LOAD_MS, ms(scenario.load.duration) * 0.25) + 100,
    )
    for (const e of s.timeline.filter((t) => t.fault))
      expect(ms(e.at) + ms(e.duration)).toBeLessThanOrEqual(ms(s.load.duration))
  })

  it('with probeRoom keeps the load long enough for a probe to run its whole timeout (revocation-propagation: the 30 s introspection cache)', async () => {
    const { scenario } = await loadScenario('scenarios/revocation-propagation.yaml', { skipSecrets: true })
    const s = smoke(scenario, { ...own, probeRoom: true })
    const probe = s.timeline.find((e) => e.probe === 'revocation-propagation')!
    expect(probe.params).toEqual(scenario.timeline.find((e) => e.probe === 'revocation-propagation')!.params)
    expect(ms(s.load.duration)).toBe(ms(probe.at) + 45_000)
    expect(checkRules(s)).toEqual([])
    expect(ms(smoke(scenario, own).load.duration)).toBe(ms(scenario.load.duration) / 4)
  })

  it('cuts at another factor and floor when asked (the detection matrix runs at half length)', async () => {
    const { scenario } = await loadScenario('scenarios/clock-skew.yaml', { skipSecrets: true })
    const s = smoke(scenario, { ...own, factor: 0.5, minLoadMs: 20_000 })
    expect(s.load.duration).toBe('22.5s')
    expect(s.timeline[0]).toMatchObject({ at: '7.5s', duration: '7.5s' })
    scenario.load.duration = '20s'
    expect(smoke(scenario, { factor: 0.5, minLoadMs: 20_000 }).load.duration).toBe('20s')
  })

  it('keeps floors: a short plan is not shortened below 10 s, a warm-up not below 1 s', async () => {
    const { scenario } = await loadScenario('scenarios/baseline.yaml', { skipSecrets: true })
    scenario.timeline = []
    scenario.load.duration = '8s'
    expect(smoke(scenario, own).load.duration).toBe('8s')
    scenario.load.duration = '20s'
    scenario.load.warmup = '2s'
    const s = smoke(scenario, own)
    expect(s.load.duration).toBe('10s')
    expect(s.load.warmup).toBe('1s')
  })
})
