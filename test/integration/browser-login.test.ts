/**
 * The browser-login flow in real Chromium against a real mock-as: a full
 * login, a denied consent, and a tampered state, each classified.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildAuthorizationServer } from '../../mock-as/app.ts'
import { DEFAULT_CLIENTS, DEFAULT_USERS } from '../../mock-as/config.ts'
import { type BrowserState, browserLogin, browserLoginFlow, chromiumPath } from '../../src/load/flows/browser-login.ts'
import type { FlowContext } from '../../src/load/flows/types.ts'
import { createHttpClient } from '../../src/load/http.ts'
import type { MetricFamily, SeriesTags } from '../../src/record.ts'
import type { Targets } from '../../src/runtime/types.ts'
import type { FlowConfig } from '../../src/scenario/schema.ts'

const chromium = chromiumPath()
if (!chromium && process.env.CI) {
  throw new Error(
    'browser-login tests need Chromium: install it with `apt-get install -y chromium` (CI must not skip this suite)',
  )
}
if (!chromium)
  console.warn('browser-login tests skipped: no Chromium found (set CHROMIUM_PATH or apt-get install chromium)')

interface Recorded {
  metric: MetricFamily
  tags: Partial<SeriesTags>
  failed: boolean
}

describe.skipIf(!chromium)('browser-login flow', () => {
  let as: FastifyInstance
  let issuer: string
  let artifacts: string
  let state: BrowserState
  const recorded: Recorded[] = []
  const http = createHttpClient({ connections: 4 })
  let ctx: FlowContext

  beforeAll(async () => {
    as = await buildAuthorizationServer({ logger: false })
    issuer = await as.listen({ host: '127.0.0.1', port: 0 })
    artifacts = await mkdtemp(join(tmpdir(), 'browser-login-'))
    const targets: Targets = {
      issuer,
      tokenEndpoint: `${issuer}/token`,
      authorizationEndpoint: `${issuer}/authorize`,
      jwksUri: `${issuer}/jwks`,
      rsJwksUri: `${issuer}/jwks`,
      clients: DEFAULT_CLIENTS.map((c) => ({
        ...c,
        grantTypes: [...c.grantTypes],
        scopes: [...c.scopes],
        redirectUris: [...c.redirectUris],
      })),
      users: DEFAULT_USERS,
      resourceServers: [],
      control: {},
      feeds: [],
    }
    const config = {
      flow: 'browser-login',
      executor: 'constant-vus',
      vus: 1,
      timeUnit: '1s',
      startRate: 0,
      preAllocatedVUs: 1,
      startTime: '0s',
      clients: 1,
      timeout: '15s',
      client: 'spa',
    } as FlowConfig
    ctx = {
      name: 'browser-login',
      config,
      targets,
      http,
      timeoutMs: 15_000,
      random: Math.random,
      signal: new AbortController().signal,
      artifactsDir: artifacts,
      now: () => performance.timeOrigin + performance.now(),
      record: (metric, tags, _i, _a, _e, failed) => recorded.push({ metric, tags, failed }),
      count: () => undefined,
      registerSecret: () => undefined,
      warn: (m) => console.warn(m),
    }
    state = await browserLoginFlow.setup(ctx)
  })

  afterAll(async () => {
    if (state) await browserLoginFlow.teardown?.(ctx, state)
    await http.close()
    await as?.close()
    if (artifacts) await rm(artifacts, { recursive: true, force: true })
  })

  const vu = () => ({ intendedStart: ctx.now(), signal: new AbortController().signal })

  it('logs in through the real consent page and gets a token', async () => {
    recorded.length = 0
    const result = await browserLogin(ctx, vu(), state)
    expect(result).toMatchObject({ ok: true })
    expect(result.accessToken).toMatch(/^eyJ/)
    const endpoints = recorded.filter((r) => r.metric === 'browser_login').map((r) => [r.tags.endpoint, r.failed])
    expect(endpoints).toEqual([
      ['login-page', false],
      ['submit', false],
      ['code-exchange', false],
      ['total', false],
    ])
    expect(recorded.find((r) => r.metric === 'oauth_token')).toMatchObject({
      failed: false,
      tags: { grant: 'authorization_code', status: '200' },
    })
  })

  it('classifies a denied consent', async () => {
    recorded.length = 0
    const result = await browserLogin(ctx, vu(), state, { decision: 'deny' })
    expect(result).toEqual({ ok: false, reason: 'consent_denied' })
    expect(recorded.find((r) => r.tags.endpoint === 'total')).toMatchObject({
      failed: true,
      tags: { reason: 'consent_denied' },
    })
  })

  it('detects a state swapped in the authorization request', async () => {
    recorded.length = 0
    const result = await browserLogin(ctx, vu(), state, {
      authorizeUrl: (u) => u.replace(/state=[^&]+/, 'state=attacker-chosen-state'),
    })
    expect(result).toEqual({ ok: false, reason: 'state_mismatch' })
    // no code exchange happened for a mismatched state
    expect(recorded.some((r) => r.metric === 'oauth_token')).toBe(false)
  })

  it('saves a screenshot and a redacted URL for failed iterations', async () => {
    const files = await readdir(join(artifacts, 'screenshots'))
    expect(files.filter((f) => f.endsWith('.png')).length).toBeGreaterThanOrEqual(2)
    const txt = await readFile(join(artifacts, 'screenshots', files.find((f) => f.endsWith('.txt'))!), 'utf8')
    expect(txt).not.toMatch(/[?&](code|state)=(?!\[redacted\])/)
  })
})
