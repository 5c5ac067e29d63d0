/**
 * An in-process reference stack for fault and probe tests: mock-as, mock-rs
 * instances, and optionally the JWKS CDN and the fault proxy, all on
 * 127.0.0.1 with ephemeral ports, wired like the process runtime wires them
 * (RS → CDN → proxy → AS for the JWKS; RS → proxy → AS for introspection),
 * plus a UnitContext whose events() come from the components' feeds.
 */
import type { FastifyInstance } from 'fastify'
import { Value } from '@sinclair/typebox/value'
import { buildAuthorizationServer } from '../../../mock-as/app.ts'
import { createAsControl } from '../../../mock-as/client.ts'
import { DEFAULT_CLIENTS, DEFAULT_USERS } from '../../../mock-as/config.ts'
import { buildResourceServer } from '../../../mock-rs/app.ts'
import { createRsControl } from '../../../mock-rs/client.ts'
import type { RsKnobs, ProfileName } from '../../../mock-rs/options.ts'
import type { FaultContext } from '../../../src/faults/types.ts'
import { silentLogger } from '../../../src/log.ts'
import type { RunEvent } from '../../../src/record/index.ts'
import type { CdnControl, EventFeed, ProxyControl, RsTarget, Targets } from '../../../src/runtime/types.ts'
import { type Scenario, ScenarioSchema } from '../../../src/scenario/schema.ts'

export const ADMIN = 'test-admin-token-0123456789'

export interface TestRsSpec {
  name: string
  profile?: ProfileName
  knobs?: Partial<RsKnobs>
}

export interface TestStackOptions {
  as?: Record<string, unknown>
  rs?: TestRsSpec[]
  cdn?: { ttl?: string; staleWhileRevalidate?: string; staleIfError?: string; purgeDelay?: string } | boolean
  proxy?: boolean
}

export interface TestStack {
  targets: Targets
  scenario: Scenario
  as: FastifyInstance
  /** Base URL of the fault proxy, when there is one. */
  proxyUrl?: string
  apps: FastifyInstance[]
  /** A fresh unit context; t0 is the moment it is created. */
  context(): FaultContext & { emitted: RunEvent[] }
  /** Poll every feed once and append new events to the shared list. */
  pollEvents(): Promise<void>
  stop(): Promise<void>
}

async function listen(app: FastifyInstance): Promise<string> {
  return await app.listen({ host: '127.0.0.1', port: 0 })
}

/** The fault proxy is built by another engineer; import it only when a test asks for it. */
async function startProxy(origin: string): Promise<{ app: FastifyInstance; url: string; control: ProxyControl }> {
  const proxyMod = '../../../fault-proxy/app.ts'
  const clientMod = '../../../fault-proxy/client.ts'
  const { buildFaultProxy } = (await import(proxyMod)) as {
    buildFaultProxy(o: Record<string, unknown>): Promise<FastifyInstance>
  }
  const mod = (await import(clientMod)) as Record<string, (url: string, token: string) => ProxyControl>
  const create = mod.createProxyControl ?? Object.values(mod).find((f) => typeof f === 'function')
  const app = await buildFaultProxy({ upstream: origin, adminToken: ADMIN, logger: false })
  const url = await listen(app)
  return { app, url, control: create!(url, ADMIN) }
}

export async function startTestStack(opts: TestStackOptions = {}): Promise<TestStack> {
  const apps: FastifyInstance[] = []
  try {
    const as = await buildAuthorizationServer({ config: opts.as ?? {}, adminToken: ADMIN, logger: false })
    apps.push(as)
    const issuer = await listen(as)
    const asControl = createAsControl(issuer, ADMIN)
    const meta = (await (await fetch(`${issuer}/.well-known/oauth-authorization-server`)).json()) as Record<
      string,
      string
    >
    const jwksPath = new URL(meta.jwks_uri!).pathname
    const introspectPath = new URL(meta.introspection_endpoint!).pathname

    let rsOrigin = issuer
    let proxy: ProxyControl | undefined
    let proxyUrl: string | undefined
    if (opts.proxy) {
      const p = await startProxy(issuer)
      apps.push(p.app)
      proxy = p.control
      proxyUrl = p.url
      rsOrigin = p.url
    }
    let cdn: CdnControl | undefined
    let jwksOrigin = rsOrigin
    const cdnCfg = opts.cdn === true ? {} : opts.cdn || undefined
    if (cdnCfg) {
      const { buildJwksCdn } = await import('../../../jwks-cdn/app.ts')
      const { createCdnControl } = await import('../../../jwks-cdn/client.ts')
      const app = await buildJwksCdn({ origin: rsOrigin, adminToken: ADMIN, logger: false, ...cdnCfg })
      apps.push(app)
      jwksOrigin = await listen(app)
      cdn = createCdnControl(jwksOrigin, ADMIN)
    }
    const rsJwksUri = `${jwksOrigin}${jwksPath}`
    const resourceServers: RsTarget[] = []
    const feeds: EventFeed[] = [asControl]
    for (const spec of opts.rs ?? [{ name: 'orders', profile: 'resilient' }]) {
      const app = await buildResourceServer({
        issuer,
        jwksUri: rsJwksUri,
        introspectionEndpoint: `${rsOrigin}${introspectPath}`,
        profile: spec.profile ?? 'resilient',
        ...(spec.knobs ? { knobs: spec.knobs } : {}),
        name: spec.name,
        adminToken: ADMIN,
        logger: false,
      })
      apps.push(app)
      const url = await listen(app)
      const control = createRsControl(url, ADMIN, spec.name)
      feeds.push(control)
      const mode = (spec.knobs?.mode ??
        (spec.profile && ['no-introspection-cache', 'long-introspection-cache', 'fail-open'].includes(spec.profile)
          ? 'introspection'
          : 'jwt')) as 'jwt' | 'introspection'
      resourceServers.push({
        name: spec.name,
        baseUrl: url,
        apiUrl: `${url}/api/orders`,
        scope: 'orders:read',
        audience: 'https://api.example',
        profile: spec.profile ?? 'resilient',
        mode,
        external: false,
        control,
      })
    }
    if (cdn) feeds.push(cdn)
    if (proxy) feeds.push(proxy)
    const targets: Targets = {
      issuer,
      tokenEndpoint: meta.token_endpoint!,
      authorizationEndpoint: meta.authorization_endpoint!,
      introspectionEndpoint: meta.introspection_endpoint!,
      revocationEndpoint: meta.revocation_endpoint!,
      jwksUri: meta.jwks_uri!,
      rsJwksUri,
      clients: DEFAULT_CLIENTS.map((c) => ({
        clientId: c.clientId,
        ...(c.clientSecret ? { clientSecret: c.clientSecret } : {}),
        public: c.public,
        grantTypes: [...c.grantTypes],
        scopes: [...c.scopes],
        ...(c.audience ? { audience: c.audience } : {}),
        redirectUris: [...c.redirectUris],
        tokenFormat: c.tokenFormat,
      })),
      users: DEFAULT_USERS.map((u) => ({ ...u })),
      resourceServers,
      control: { as: asControl, ...(cdn ? { cdn } : {}), ...(proxy ? { proxy } : {}) },
      feeds,
    }
    const scenario = Value.Default(ScenarioSchema, {
      id: 'test',
      title: 'test',
      stack: {
        authorizationServer: opts.as ?? {},
        resourceServers: (opts.rs ?? [{ name: 'orders', profile: 'resilient' }]).map((r) => ({
          name: r.name,
          profile: r.profile ?? 'resilient',
          ...(r.knobs ? { options: r.knobs } : {}),
        })),
        ...(cdnCfg ? { jwksCdn: cdnCfg } : {}),
        ...(opts.proxy ? { faultProxy: {} } : {}),
      },
      load: { duration: '10s', flows: [{ flow: 'client-credentials', executor: 'constant-arrival-rate', rate: 1 }] },
    }) as Scenario

    const seen = new Map<string, number>()
    const events: Array<RunEvent & { epoch: number }> = []
    const pollEvents = async () => {
      for (const f of feeds) {
        const got = await f.poll(seen.get(f.source) ?? 0).catch(() => [])
        for (const e of got) {
          seen.set(f.source, e.seq)
          events.push({ t: 0, epoch: e.time, source: f.source, type: e.type, ...(e.data ? { data: e.data } : {}) })
        }
      }
    }
    await pollEvents()
    // the runner polls every feed continuously; so does the test stack
    let polling = false
    const poller = setInterval(() => {
      if (polling) return
      polling = true
      void pollEvents().finally(() => (polling = false))
    }, 200)
    poller.unref()
    let seq = 0
    return {
      targets,
      scenario,
      as,
      ...(proxyUrl ? { proxyUrl } : {}),
      apps,
      pollEvents,
      context() {
        const t0 = Date.now()
        const emitted: RunEvent[] = []
        let rnd = 42
        return {
          targets,
          scenario,
          log: silentLogger,
          now: () => Date.now() - t0,
          emit(type, data) {
            emitted.push({ t: Date.now() - t0, source: 'runner', type, ...(data ? { data } : {}) })
          },
          random: () => (rnd = (rnd * 1103515245 + 12345 + seq++) % 2147483648) / 2147483648,
          events: () => [...events.map(({ epoch, ...e }) => ({ ...e, t: epoch - t0 })), ...emitted],
          emitted,
        }
      },
      async stop() {
        clearInterval(poller)
        for (const app of apps.reverse()) await closeNow(app)
      },
    }
  } catch (err) {
    for (const app of apps.reverse()) await closeNow(app)
    throw err
  }
}

/**
 * Close a component at the end of a test, in-flight requests and all: fastify's close waits for every
 * request still open (the reference RS and AS close idle keep-alive sockets only), and a request a test
 * left hanging — a probe's call to an RS that is itself waiting on an AS closing beside it — held a
 * suite's afterAll past its 60 s timeout once in CI.
 */
async function closeNow(app: FastifyInstance): Promise<void> {
  const closing = app.close().catch(() => {})
  app.server.closeAllConnections()
  await closing
}

/** The chaos state without what a rotation legitimately changes (keys, counters). */
export function comparableAsState(state: Record<string, unknown>): Record<string, unknown> {
  const { keys: _k, signingKid: _s, counts: _c, lastEventSeq: _l, ...rest } = state
  // the DPoP replay cache fills with the proofs of any DPoP traffic: a counter like `counts`, not configuration
  const dpop = rest.dpop as { replayCache?: Record<string, unknown> } | undefined
  if (dpop?.replayCache) {
    const { size: _size, ...cache } = dpop.replayCache
    rest.dpop = { ...dpop, replayCache: cache }
  }
  return rest
}
