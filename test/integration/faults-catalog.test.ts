import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { renderFaultsDoc } from '../../src/faults/doc.ts'
import { faults } from '../../src/faults/index.ts'
import { probes } from '../../src/probes/index.ts'
import { loadScenario } from '../../src/scenario/load.ts'
import { durationMs } from '../../src/util/duration.ts'

const root = new URL('../../', import.meta.url).pathname
const files = readdirSync(join(root, 'scenarios'))
  .filter((f) => f.endsWith('.yaml'))
  .sort()
const SHIPPED = [
  'assertion-aud-change',
  'bad-key-rotation',
  'baseline',
  'clock-skew',
  'introspection-rate-limit',
  'jwks-outage',
  'leaked-refresh-token',
  'revocation-propagation',
  'stale-jwks-cdn',
  'token-endpoint-overload',
]

describe('game-day catalog', () => {
  it('ships every game day of the catalog', () => {
    expect(files.map((f) => f.replace(/\.yaml$/, ''))).toEqual(expect.arrayContaining(SHIPPED))
  })

  it.each(files)('%s loads, names the editor schema, teaches something and stays under 2 minutes', async (file) => {
    const path = join(root, 'scenarios', file)
    expect(readFileSync(path, 'utf8').split('\n')[0]).toBe(
      '# yaml-language-server: $schema=../schema/scenario.schema.json',
    )
    const { scenario } = await loadScenario(path, { skipSecrets: true })
    expect(scenario.description.length).toBeGreaterThan(80)
    expect(durationMs(scenario.load.duration) + durationMs(scenario.load.gracefulStop)).toBeLessThan(120_000)
    for (const flow of scenario.load.flows)
      if (flow.flow === 'client-credentials' || flow.flow === 'api-call')
        expect(flow.rate ?? 0).toBeLessThanOrEqual(100)
  })

  it('uses every fault and every probe in at least one game day', async () => {
    const used = new Set<string>()
    for (const f of files)
      for (const e of (await loadScenario(join(root, 'scenarios', f), { skipSecrets: true })).scenario.timeline)
        used.add(e.fault ?? e.probe ?? '')
    for (const id of [...Object.keys(faults), ...Object.keys(probes)]) expect(used, id).toContain(id)
  })

  it('has a runbook section with symptoms, what to look at and recovery for every game day', () => {
    const doc = readFileSync(join(root, 'docs/game-days.md'), 'utf8')
    for (const f of files) {
      const id = f.replace(/\.yaml$/, '')
      const section = doc.split(/^## /m).find((s) => s.startsWith(`${id}\n`))
      expect(section, id).toBeDefined()
      for (const part of ['**Symptoms:**', '**What to look at:**', '**Recover:**'])
        expect(section, `${id} ${part}`).toContain(part)
    }
  })

  it('keeps docs/faults.md generated from the registries', () => {
    expect(readFileSync(join(root, 'docs/faults.md'), 'utf8')).toBe(renderFaultsDoc())
  })
})
