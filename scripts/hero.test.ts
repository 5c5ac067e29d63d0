import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadScenario } from '../src/scenario/load.ts'
import { HERO_IMAGE } from './hero.ts'
import { ROOT } from './readme.ts'
import { readFileSync } from 'node:fs'

describe('hero', () => {
  it('runs a scenario that validates, with several RSs and a fault, and writes the image the README shows', async () => {
    const { scenario } = await loadScenario(join(ROOT, 'scripts', 'hero.yaml'))
    expect(scenario.stack.resourceServers.length).toBeGreaterThan(1)
    expect(scenario.timeline.some((e) => 'fault' in e)).toBe(true)
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain(`](${HERO_IMAGE})`)
  })
})
