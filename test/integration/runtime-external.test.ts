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
import { runScenario } from '../../src/runner/run.ts'
import { type Scenario, ScenarioSchema } from '../../src/scenario/schema.ts'
import { existsSync } from 'node:fs'
import { type GamedayError, isGamedayError } from '../../src/errors.ts'
import { externalRuntime } from '../../src/runtime/external.ts'
import { silentLogger } from '../../src/log.ts'

describe('external runtime', () => {
  let as: FastifyInstance
  let rs: FastifyInstance
  let issuer: string
  let rsUrl: string
  let dir: string

  beforeAll(async () => {
    as = await buildAuthorizationServer({ logger: false, adminToken: 'as-admin-token-for-test' })
    issuer = await as.listen({ host: '127.0.0.1', port: 0 })
    rs = await buildResourceServer({ issuer, profile: 'resilient', logger: false })
    rsUrl = await rs.listen({ host: '127.0.0.1', port: 0 })
    dir = await mkdtemp(join(tmpdir(), 'external-'))
    process.env.EXTERNAL_TEST_SVC_SECRET = 'svc-secret'
    process.env.EXTERNAL_TEST_AS_ADMIN = 'as-admin-token-for-test'
    process.env.EXTERNAL_TEST_AS_ADMIN_WRONG = 'not-the-admin-token'
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

  it('refuses an RS that nothing answers for with ERR_TARGET_UNREACHABLE naming it (exit 104), before any load', {
    timeout: 60_000,
  }, async () => {
    const { createServer } = await import('node:net')
    const free = createServer()
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', r))
    const port = (free.address() as { port: number }).port
    await new Promise((r) => free.close(r))
    const s = scenario()
    s.stack.resourceServers.push({
      name: 'billing',
      url: `http://127.0.0.1:${port}/api/billing`,
    } as (typeof s.stack.resourceServers)[number])
    const out = join(dir, 'refused')
    const err = await runScenario(s, { runtime: 'external', outDir: out, log: silentLogger }).catch((e: unknown) => e)
    expect(isGamedayError(err, 'ERR_TARGET_UNREACHABLE')).toBe(true)
    expect((err as GamedayError).message).toContain(
      `resource server billing at http://127.0.0.1:${port}/api/billing: connection refused`,
    )
    expect((err as GamedayError).exitCode).toBe(104)
    // refused before any load: no run folder for a nightly "newest run.json" to pick up
    expect(existsSync(join(out, s.id))).toBe(false)
  })

  const withControl = (env: string): Scenario => {
    const s = scenario()
    s.stack.authorizationServer.external!.control = { url: issuer, adminToken: { env } }
    s.load.duration = '5s'
    s.timeline = [{ at: '1s', fault: 'clock-skew', duration: '2s', params: { side: 'as', offsetSeconds: 30 } }]
    return s
  }

  it('runs an AS fault against an external mock-as given its control URL and admin token', {
    timeout: 120_000,
  }, async () => {
    const s = withControl('EXTERNAL_TEST_AS_ADMIN')
    const { checkRules } = await import('../../src/scenario/rules.ts')
    expect(checkRules(s)).toEqual([])
    const { record } = await runScenario(s, { runtime: 'external', outDir: dir, log: silentLogger })
    expect(record.error).toBeUndefined()
    expect(record.faults).toHaveLength(1)
    expect(record.faults[0]).toMatchObject({ fault: 'clock-skew', status: 'reverted' })
    // the journal has the external mock-as's own events, polled through its control API
    expect(record.events.some((e) => e.source === 'mock-as')).toBe(true)
  })

  it('refuses at preflight an external AS control that does not take the admin token, without the token in the message', {
    timeout: 60_000,
  }, async () => {
    const err = await runScenario(withControl('EXTERNAL_TEST_AS_ADMIN_WRONG'), {
      runtime: 'external',
      outDir: join(dir, 'refused-control'),
      log: silentLogger,
    }).catch((e: unknown) => e)
    expect(isGamedayError(err, 'ERR_PREFLIGHT_INCOMPATIBLE')).toBe(true)
    const message = (err as GamedayError).message
    expect(message).toContain(`control URL ${issuer}`)
    expect(message).toContain('401')
    expect(message).not.toContain('not-the-admin-token')
    expect((err as GamedayError).exitCode).toBe(104)
    expect(existsSync(join(dir, 'refused-control', 'external-run'))).toBe(false)
  })

  it('without control, an AS fault on an external AS is refused by validation with the way out in the hint', async () => {
    const s = withControl('EXTERNAL_TEST_AS_ADMIN')
    delete s.stack.authorizationServer.external!.control
    const { checkRules } = await import('../../src/scenario/rules.ts')
    const issues = checkRules(s)
    expect(issues[0]).toMatchObject({ code: 'ERR_CAPABILITY_MISSING' })
    expect(issues[0]!.hint).toContain('external.control')
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
