import { Type } from '@sinclair/typebox'
import { describe, expect, it } from 'vitest'
import type { FaultDefinition } from '../../faults/types.ts'
import type { ProbeDefinition } from '../../probes/types.ts'
import { parseScenario } from '../../scenario/load.ts'
import type { SloDefinition } from '../../slo/types.ts'
import { formatPlan } from './plan.ts'

const fault = {
  id: 'key-swap',
  summary: 'test-only',
  params: Type.Object({
    mode: Type.String({ default: 'sign-before-publish' }),
    unpublishedFor: Type.String({ default: '15s' }),
  }),
  defaultDuration: '20s',
  needs: () => [],
  inject: async () => ({ revert: async () => {} }),
} as unknown as FaultDefinition
const probe = {
  id: 'refresh-latency',
  summary: 'test-only',
  params: Type.Object({}),
  needs: () => [],
  run: async () => ({}),
} as unknown as ProbeDefinition
const slo = {
  id: 'M9',
  title: 'JWKS refresh latency',
  objective: 'max<10s',
  window: 'fault',
  severity: 'major',
  feeders: { probes: ['refresh-latency'] },
} as unknown as SloDefinition

const text = `id: plan-demo
title: Plan demo
stack:
  authorizationServer: {}
  resourceServers: [{ name: orders, profile: resilient }]
load:
  duration: 90s
  flows:
    - { flow: api-call, target: orders, executor: constant-arrival-rate, rate: 200 }
steadyState: [M1]
timeline:
  - { at: 30s, fault: key-swap, params: { unpublishedFor: 10s } }
  - { at: 30s, probe: refresh-latency }
  - { at: 1m, fault: key-swap, duration: 5s }
slos:
  - { id: M9 }
  - { id: M3, objective: 'rate<0.001', window: recovery }
`

describe('formatPlan', () => {
  const { scenario } = parseScenario(text, 'plan-demo.yaml', {
    registries: { faults: { 'key-swap': fault }, probes: { 'refresh-latency': probe }, slos: { M9: slo } },
  })
  const plan = formatPlan(scenario, { faults: { 'key-swap': fault }, slos: { M9: slo } })

  it('prints faults with their filled params, durations and reverts at their offsets', () => {
    const timeline = plan.slice(plan.indexOf('timeline:'), plan.indexOf('\n\n', plan.indexOf('timeline:')))
    expect(timeline.split('\n').map((l) => l.trim().replace(/\s+/g, ' '))).toEqual([
      'timeline:',
      '+0s load starts',
      '+5s warm-up ends',
      '+30s fault key-swap { mode: sign-before-publish, unpublishedFor: 10s } for 20s [timeline[0]]',
      '+30s probe refresh-latency [timeline[1]]',
      '+50s revert key-swap [timeline[0]]',
      '+1m fault key-swap { mode: sign-before-publish, unpublishedFor: 15s } for 5s [timeline[2]]',
      '+1m5s revert key-swap [timeline[2]]',
      '+1m30s load ends',
    ])
  })

  it('prints the steady-state windows and SLOs with catalog defaults', () => {
    expect(plan).toContain('steady state: M1 must hold before the first fault (+30s) and after the last revert (+1m5s)')
    expect(plan).toMatch(/M9\s+max<10s \(catalog\)\s+window fault\s+major\s+JWKS refresh latency/)
    expect(plan).toMatch(/M3\s+rate<0.001\s+window recovery/)
    expect(plan).toMatch(/api-call\s+→ orders\s+constant-arrival-rate\s+200\/1s\s+\+0s\.\.\+1m30s/)
  })
})
