/**
 * `--runtime external`: nothing is started; the scenario's own AS and RS
 * (here a mock-as and a mock-rs the test runs itself, as a user would run
 * docker compose) are driven as they are.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Value } from '@sinclair/typebox/value'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildAuthorizationServer } from '../../mock-as/app.ts'
import { buildResourceServer } from '../../mock-rs/app.ts'
import { runScenario } from '../../src/runner.ts'
import { type Scenario, ScenarioSchema } from '../../src/scenario/schema.ts'
import { isGamedayError } from '../../src/errors.ts'
import { externalRuntime } from '../../src/runtime/external.ts'
import { silentLogger } from '../../src/log.ts'

describe('external runtime', () => {
  let as: FastifyInstance
  let rs: FastifyInstance
  let issuer: string
  let rsUrl: string
  let dir: string

  beforeAll(async () => {
    as = await buildAuthorizationServer({ logger: false })
    issuer = await as.listen({ host: '127.0.0.1', port: 0 })
    rs = await buildResourceServer({ issuer, profile: 'resilient', logger: false })
    rsUrl = await rs.listen({ host: '127.0.0.1', port: 0 })
    dir = await mkdtemp(join(tmpdir(), 'external-'))
    process.env.EXTERNAL_TEST_SVC_SECRET = 'svc-secret'
  })
  afterAll(async () => {
    await rs?.close()
    await as?.close()
    await rm(dir, { recursive: true, force: true })
  })

  const scenario = (extra: Record<string, unknown> = {}): Scenario =>
    Value.Default(ScenarioSchema, {
      id: 'external-run',
      title: 'external',
      stack: {
        authorizationServer: {
          external: {
            issuer,
            clients: [
              {
                clientId: 'svc',
                clientSecret: { env: 'EXTERNAL_TEST_SVC_SECRET' },
                grantTypes: ['client_credentials'],
                scopes: ['orders:read'],
              },
            ],
          },
        },
        resourceServers: [{ name: 'orders', url: `${rsUrl}/api/orders` }],
        ...extra,
      },
      load: {
        duration: '3s',
        warmup: '0s',
        gracefulStop: '1s',
        flows: [{ flow: 'api-call', executor: 'constant-arrival-rate', rate: 10, target: 'orders', client: 'svc' }],
      },
      slos: [{ id: 'M3' }],
    }) as Scenario

  it('drives the stack it is given and starts nothing', { timeout: 120_000 }, async () => {
    const { record, verdict } = await runScenario(scenario(), { runtime: 'external', outDir: dir })
    expect(record.status).toBe('completed')
    expect(record.targets.issuer).toBe(issuer)
    const ok = record.load.series
      .filter((s) => s.metric === 'rs_request' && !s.failed)
      .reduce((n, s) => n + s.buckets.reduce((a, b) => a + b.count, 0), 0)
    expect(ok).toBeGreaterThan(15)
    expect(verdict.slos[0]).toMatchObject({ id: 'M3', pass: true })
  })

  it('refuses a stack that asks for a reference component, naming it', async () => {
    const s = scenario({ jwksCdn: {} })
    const err = await externalRuntime
      .start(s.stack, { signal: new AbortController().signal, log: silentLogger, seed: 1 })
      .catch((e: unknown) => e)
    expect(isGamedayError(err, 'ERR_SCENARIO_INVALID')).toBe(true)
    expect((err as Error).message).toContain('jwks-cdn')
  })
})
