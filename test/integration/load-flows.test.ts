import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildAuthorizationServer } from '../../mock-as/app.ts'
import { buildResourceServer } from '../../mock-rs/app.ts'
import { flows } from '../../src/load/flows/index.ts'
import type { FlowContext, VuContext } from '../../src/load/flows/types.ts'
import { createHttpClient, type HttpClient } from '../../src/load/http.ts'
import { Recorder } from '../../src/load/recorder.ts'
import type { LoadResult, Series } from '../../src/record.ts'
import type { Targets } from '../../src/runtime/types.ts'
import type { FlowConfig } from '../../src/scenario/schema.ts'
import { seededRandom } from '../../src/util/random.ts'
import { targetsFor } from './helpers/targets.ts'

const now = () => performance.timeOrigin + performance.now()

function flowConfig(f: Partial<FlowConfig>): FlowConfig {
  return {
    flow: 'client-credentials',
    executor: 'constant-arrival-rate',
    rate: 1,
    startRate: 0,
    timeUnit: '1s',
    preAllocatedVUs: 1,
    startTime: '0s',
    clients: 2,
    timeout: '5s',
    ...f,
  } as FlowConfig
}

/** Run a flow's setup and `n` sequential iterations in-process, as the worker would. */
async function runFlow(targets: Targets, http: HttpClient, config: FlowConfig, n: number) {
  const recorder = new Recorder(now() - 1)
  const secrets: string[] = []
  const warnings: string[] = []
  const ctl = new AbortController()
  const ctx: FlowContext = {
    name: config.name ?? config.flow,
    config,
    targets,
    http,
    timeoutMs: 5000,
    random: seededRandom(1),
    signal: ctl.signal,
    now,
    record: (metric, tags, i, a, e, failed) =>
      recorder.record(metric, { ...tags, flow: tags.flow ?? config.flow } as never, i, a, e, failed),
    count: (name, tags = {}, k = 1) => recorder.count(name, { flow: config.flow, ...tags }, k, now()),
    registerSecret: (v) => secrets.push(v),
    warn: (m) => warnings.push(m),
  }
  const def = flows[config.flow]!
  const state = await def.setup(ctx)
  for (let i = 0; i < n; i++) {
    const vu: VuContext = { id: 1, intendedStart: now(), signal: ctl.signal }
    await def.iteration(ctx, vu, state)
  }
  await def.teardown?.(ctx, state)
  ctl.abort()
  const result = recorder.result()
  return { ...result, secrets, warnings, state }
}

const total = (xs: Series[]) => xs.reduce((s, x) => s + x.buckets.reduce((a, b) => a + b.count, 0), 0)
const counterTotal = (r: Pick<LoadResult, 'counters'>, name: string, tags: Record<string, string> = {}) =>
  r.counters
    .filter((c) => c.name === name && Object.entries(tags).every(([k, v]) => c.tags[k] === v))
    .reduce((s, c) => s + c.values.reduce((a, v) => a + v.value, 0), 0)

describe('flows against mock-as', () => {
  let as: FastifyInstance
  let rs: FastifyInstance
  let rsIntro: FastifyInstance
  let rsStale: FastifyInstance
  let targets: Targets
  let http: HttpClient
  /** The stale RS rejects the next new token it sees again. */
  let forgetStale: () => void

  beforeAll(async () => {
    as = await buildAuthorizationServer({ logger: false, adminToken: 'admin-token-for-tests' })
    await as.listen({ host: '127.0.0.1', port: 0 })
    const issuer = as.oauthContext.issuer
    rs = await buildResourceServer({ issuer, name: 'orders', logger: false })
    const rsUrl = await rs.listen({ host: '127.0.0.1', port: 0 })
    rsIntro = await buildResourceServer({
      issuer,
      name: 'orders-introspect',
      logger: false,
      knobs: { mode: 'introspection' },
    })
    const rsIntroUrl = await rsIntro.listen({ host: '127.0.0.1', port: 0 })
    // an RS that rejects the first token it sees as signed by a key it does not know (a rotation it missed)
    rsStale = Fastify()
    let first: string | undefined
    forgetStale = () => {
      first = undefined
    }
    rsStale.get('/api/orders', async (req, reply) => {
      first ??= req.headers.authorization
      if (req.headers.authorization === first) {
        return reply
          .code(401)
          .header('www-authenticate', 'Bearer realm="stale", error="invalid_token", error_description="unknown_kid"')
          .send()
      }
      return { ok: true }
    })
    const staleUrl = await rsStale.listen({ host: '127.0.0.1', port: 0 })
    targets = await targetsFor(issuer, [
      { name: 'orders', url: rsUrl },
      { name: 'orders-introspect', url: rsIntroUrl, mode: 'introspection' },
      { name: 'stale', url: staleUrl },
    ])
    http = createHttpClient({ connections: 4 })
  })

  afterAll(async () => {
    await http?.close()
    await Promise.all([rsStale?.close(), rsIntro?.close(), rs?.close()])
    await as?.close()
  })

  it('client-credentials gets tokens with client_secret_basic and records oauth_token', async () => {
    const r = await runFlow(targets, http, flowConfig({ flow: 'client-credentials' }), 3)
    const tok = r.series.filter((s) => s.metric === 'oauth_token')
    expect(tok).toHaveLength(1)
    expect(tok[0]!.tags).toMatchObject({
      flow: 'client-credentials',
      endpoint: 'token',
      status: '200',
      grant: 'client_credentials',
    })
    expect(tok[0]!.failed).toBe(false)
    expect(total(tok)).toBe(3)
    expect(r.secrets.length).toBeGreaterThanOrEqual(3)
  })

  it('client-credentials records a rejected client as a failed oauth_token with the OAuth error', async () => {
    const t = {
      ...targets,
      clients: targets.clients.map((c) => (c.clientId === 'svc' ? { ...c, clientSecret: 'wrong-secret' } : c)),
    }
    const r = await runFlow(t, http, flowConfig({ flow: 'client-credentials' }), 2)
    const tok = r.series.filter((s) => s.metric === 'oauth_token')
    expect(tok[0]!.failed).toBe(true)
    expect(tok[0]!.tags.status).toBe('401')
    expect(tok[0]!.tags.error).toBe('invalid_client')
  })

  it('api-call calls mock-rs with tokens held by virtual clients, renewing off the measured path', async () => {
    const r = await runFlow(targets, http, flowConfig({ flow: 'api-call', target: 'orders', clients: 2 }), 6)
    const calls = r.series.filter((s) => s.metric === 'rs_request')
    expect(calls).toHaveLength(1)
    expect(calls[0]!.tags).toMatchObject({ flow: 'api-call', endpoint: 'api', status: '200', target: 'orders' })
    expect(total(calls)).toBe(6)
    // the two setup tokens are fetched before t0 and not measured; no renewal was due
    expect(r.series.filter((s) => s.metric === 'oauth_token')).toHaveLength(0)
  })

  it.each(['lean', 'undici'] as const)(
    'api-call re-authenticates once on a 401 and records unknown_kid as the reason (%s transport)',
    async (transport) => {
      forgetStale()
      const client = transport === 'lean' ? http : createHttpClient({ connections: 4, transport })
      const r = await runFlow(
        targets,
        client,
        flowConfig({ flow: 'api-call', target: 'stale', clients: 1 }),
        3,
      ).finally(() => (client === http ? undefined : client.close()))
      const calls = r.series.filter((s) => s.metric === 'rs_request')
      const rejected = calls.find((s) => s.tags.status === '401')!
      expect(rejected.failed).toBe(true)
      expect(rejected.tags.reason).toBe('unknown_kid')
      expect(rejected.tags.error).toBe('invalid_token')
      expect(total([rejected])).toBe(1)
      expect(counterTotal(r, 'reauth_on_401', { reason: 'unknown_kid' })).toBe(1)
      expect(total(calls.filter((s) => s.tags.attempt === 'retry' && s.tags.status === '200'))).toBe(1)
      const renewal = r.series.filter((s) => s.metric === 'oauth_token')
      expect(renewal[0]!.tags).toMatchObject({ flow: 'api-call', grant: 'client_credentials', status: '200' })
      expect(total(renewal)).toBe(1)
    },
  )

  it('auth-code walks the login and consent form with PKCE and exchanges the code', async () => {
    const r = await runFlow(targets, http, flowConfig({ flow: 'auth-code' }), 2)
    expect(r.warnings).toEqual([])
    const authz = r.series.filter((s) => s.metric === 'oauth_authorize')
    expect(authz.every((s) => !s.failed)).toBe(true)
    // the page GET and the form POST, both on the authorization endpoint (the same tags as the k6 engine)
    expect(new Set(authz.map((s) => s.tags.endpoint))).toEqual(new Set(['authorize']))
    expect(authz.map((s) => s.tags.status).sort()).toEqual(['200', '303'])
    const tok = r.series.filter((s) => s.metric === 'oauth_token')
    expect(tok).toHaveLength(1)
    expect(tok[0]!.tags).toMatchObject({ grant: 'authorization_code', status: '200' })
    expect(total(tok)).toBe(2)
  })

  it('refresh logs in each virtual client once, then rotates refresh tokens', async () => {
    const r = await runFlow(targets, http, flowConfig({ flow: 'refresh', clients: 2 }), 4)
    expect(r.warnings).toEqual([])
    const tok = r.series.filter((s) => s.metric === 'oauth_token')
    expect(tok).toHaveLength(1)
    expect(tok[0]!.tags).toMatchObject({ flow: 'refresh', grant: 'refresh_token', status: '200' })
    expect(total(tok)).toBe(4)
    // nothing from the setup logins is measured
    expect(r.series.filter((s) => s.metric === 'oauth_authorize')).toHaveLength(0)
  })

  it('introspection posts /introspect with the rs client on minted tokens', async () => {
    const r = await runFlow(targets, http, flowConfig({ flow: 'introspection', clients: 2 }), 3)
    const intro = r.series.filter((s) => s.metric === 'introspection')
    expect(intro).toHaveLength(1)
    expect(intro[0]!.tags).toMatchObject({ endpoint: 'introspect', status: '200' })
    expect(intro[0]!.failed).toBe(false)
    expect(total(intro)).toBe(3)
  })

  it('introspection calls an RS in introspection mode via target', async () => {
    const r = await runFlow(
      targets,
      http,
      flowConfig({ flow: 'introspection', target: 'orders-introspect', clients: 1 }),
      2,
    )
    const calls = r.series.filter((s) => s.metric === 'rs_request')
    expect(calls[0]!.tags).toMatchObject({ status: '200', target: 'orders-introspect' })
    expect(total(calls)).toBe(2)
  })
})
