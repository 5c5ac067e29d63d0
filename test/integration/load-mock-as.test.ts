import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildAuthorizationServer } from '../../mock-as/app.ts'
import { buildResourceServer } from '../../mock-rs/app.ts'
import { engines } from '../../src/load/index.ts'
import type { MetricFamily } from '../../src/record.ts'
import type { Targets } from '../../src/runtime/types.ts'
import type { FlowConfig, LoadConfig } from '../../src/scenario/schema.ts'
import { targetsFor } from './helpers/targets.ts'

/** Tag keys each metric family may carry (the contract both engines keep). */
const ALLOWED_TAGS = new Set(['flow', 'endpoint', 'status', 'error', 'reason', 'target', 'grant', 'token', 'attempt'])
const FAMILIES: MetricFamily[] = ['oauth_token', 'rs_request', 'oauth_authorize', 'browser_login', 'introspection']

function f(x: Partial<FlowConfig>): FlowConfig {
  return {
    executor: 'constant-arrival-rate',
    rate: 4,
    startRate: 0,
    timeUnit: '1s',
    preAllocatedVUs: 4,
    startTime: '0s',
    clients: 2,
    timeout: '5s',
    ...x,
  } as FlowConfig
}

describe('embedded engine against mock-as and mock-rs', () => {
  let as: FastifyInstance
  let rs: FastifyInstance
  let targets: Targets

  beforeAll(async () => {
    as = await buildAuthorizationServer({ logger: false })
    await as.listen({ host: '127.0.0.1', port: 0 })
    rs = await buildResourceServer({ issuer: as.oauthContext.issuer, name: 'orders', logger: false })
    const rsUrl = await rs.listen({ host: '127.0.0.1', port: 0 })
    targets = await targetsFor(as.oauthContext.issuer, [{ name: 'orders', url: rsUrl }])
  })
  afterAll(async () => {
    await rs?.close()
    await as?.close()
  })

  it('runs every flow at once, each with its executor, with stable metric names and tags', async () => {
    const plan: LoadConfig = {
      duration: '2s',
      warmup: '0s',
      gracefulStop: '3s',
      flows: [
        f({ flow: 'client-credentials' }),
        f({ flow: 'api-call', target: 'orders' }),
        f({ flow: 'refresh' }),
        f({ flow: 'auth-code', executor: 'constant-vus', vus: 1 }),
        f({
          flow: 'introspection',
          executor: 'ramping-arrival-rate',
          startRate: 2,
          stages: [{ target: 6, duration: '2s' }],
        }),
        f({ flow: 'client-credentials', name: 'cc-second', rate: 2 }),
      ],
    }
    const r = await engines.embedded!.run(plan, targets, { signal: new AbortController().signal, seed: 42 })
    expect(r.aborted).toBe(false)
    expect(r.latencyBasis).toBe('intended-start')
    const failed = r.series.filter((s) => s.failed)
    expect(failed.map((s) => s.tags)).toEqual([])
    const byFlow = new Map<string, Set<string>>()
    for (const s of r.series) {
      expect(FAMILIES).toContain(s.metric)
      for (const k of Object.keys(s.tags)) expect(ALLOWED_TAGS).toContain(k)
      byFlow.set(s.tags.flow, (byFlow.get(s.tags.flow) ?? new Set()).add(s.metric))
    }
    expect(Object.fromEntries([...byFlow].map(([k, v]) => [k, [...v].sort()]))).toEqual({
      'client-credentials': ['oauth_token'],
      'cc-second': ['oauth_token'],
      'api-call': ['rs_request'],
      refresh: ['oauth_token'],
      'auth-code': ['oauth_authorize', 'oauth_token'],
      introspection: ['introspection'],
    })
    const iterations = (name: string) =>
      r.counters
        .filter((c) => c.name === 'iterations' && c.tags.flow === name)
        .reduce((s, c) => s + c.values.reduce((a, v) => a + v.value, 0), 0)
    expect(iterations('client-credentials')).toBe(8)
    expect(iterations('cc-second')).toBe(4)
    // ramping 2→6/s over 2 s: 8 iterations
    expect(iterations('introspection')).toBe(8)
    expect(iterations('auth-code')).toBeGreaterThanOrEqual(1)
  })
})
