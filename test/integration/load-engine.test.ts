import Fastify, { type FastifyInstance } from 'fastify'
import formbody from '@fastify/formbody'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LoadResult, Series } from '../../src/record.ts'
import type { Targets } from '../../src/runtime/types.ts'
import type { FlowConfig, LoadConfig } from '../../src/scenario/schema.ts'
import { hasSpareWorker } from '../../src/load/embedded.ts'
import { engines } from '../../src/load/index.ts'
import { decodeHistogram, percentileMs, seriesWindow } from '../../src/load/histogram.ts'
import type { LoadProgress } from '../../src/load/types.ts'

/** A tiny AS + RS: the token endpoint mints tok-N; the RS rejects the first token it sees as signed by an unknown key. */
async function startServer(): Promise<{ app: FastifyInstance; url: string; pacedSockets: Set<number> }> {
  const app = Fastify()
  await app.register(formbody)
  let n = 0
  let firstApiToken: string | undefined
  app.post('/token', async (req, reply) => {
    const auth = req.headers.authorization ?? ''
    if (auth !== `Basic ${Buffer.from('svc:svc-secret').toString('base64')}`)
      return reply.code(401).send({ error: 'invalid_client' })
    n++
    return { access_token: `tok-${n}-${'x'.repeat(20)}`, token_type: 'Bearer', expires_in: 300 }
  })
  app.get('/api', async (req, reply) => {
    const auth = req.headers.authorization ?? ''
    firstApiToken ??= auth
    if (auth === firstApiToken) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="api", error="invalid_token", error_description="unknown_kid"')
        .send()
    }
    return { ok: true }
  })
  // answers after 20 ms and remembers which client sockets it was called on
  const pacedSockets = new Set<number>()
  app.get('/paced', async (req) => {
    pacedSockets.add(req.socket.remotePort ?? 0)
    await new Promise((r) => setTimeout(r, 20))
    return { ok: true }
  })
  app.get('/slow', async () => {
    await new Promise((r) => setTimeout(r, 400))
    return { ok: true }
  })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  return { app, url, pacedSockets }
}

function targetsOf(url: string): Targets {
  return {
    issuer: url,
    tokenEndpoint: `${url}/token`,
    authorizationEndpoint: `${url}/authorize`,
    jwksUri: `${url}/jwks`,
    rsJwksUri: `${url}/jwks`,
    clients: [
      {
        clientId: 'svc',
        clientSecret: 'svc-secret',
        public: false,
        grantTypes: ['client_credentials'],
        scopes: [],
        redirectUris: [],
      },
    ],
    users: [],
    resourceServers: [
      {
        name: 'rs1',
        baseUrl: url,
        apiUrl: `${url}/api`,
        scope: 'orders:read',
        audience: 'https://api.example',
        external: false,
      },
      {
        name: 'slow',
        baseUrl: url,
        apiUrl: `${url}/slow`,
        scope: 'orders:read',
        audience: 'https://api.example',
        external: false,
      },
      {
        name: 'paced',
        baseUrl: url,
        apiUrl: `${url}/paced`,
        scope: 'orders:read',
        audience: 'https://api.example',
        external: false,
      },
    ],
    control: { as: {} as never },
    feeds: [],
  }
}

function flow(f: Partial<FlowConfig>): FlowConfig {
  return {
    flow: 'client-credentials',
    executor: 'constant-arrival-rate',
    startRate: 0,
    timeUnit: '1s',
    preAllocatedVUs: 10,
    startTime: '0s',
    clients: 2,
    timeout: '5s',
    ...f,
  } as FlowConfig
}

const sum = (xs: Series[]) => xs.reduce((s, x) => s + x.buckets.reduce((a, b) => a + b.count, 0), 0)
const counter = (r: LoadResult, name: string, tags: Record<string, string> = {}) =>
  r.counters
    .filter((c) => c.name === name && Object.entries(tags).every(([k, v]) => c.tags[k] === v))
    .reduce((s, c) => s + c.values.reduce((a, v) => a + v.value, 0), 0)

describe('embedded engine', () => {
  let server: Awaited<ReturnType<typeof startServer>>
  beforeAll(async () => {
    server = await startServer()
  })
  afterAll(async () => {
    await server.app.close()
  })

  describe('one run, three flows with their own executors', () => {
    let r: LoadResult
    const progress: LoadProgress[] = []
    const secrets: string[] = []
    beforeAll(async () => {
      const plan: LoadConfig = {
        duration: '2s',
        warmup: '0s',
        gracefulStop: '2s',
        flows: [
          flow({ rate: 50 }),
          flow({ flow: 'api-call', rate: 10, clients: 1, target: 'rs1' }),
          // 400 ms requests every 50 ms need 8 VUs; 3 serve about 3 per 400 ms
          flow({
            flow: 'api-call',
            name: 'api-slow',
            rate: 20,
            duration: '1s',
            preAllocatedVUs: 2,
            maxVUs: 3,
            clients: 1,
            target: 'slow',
          }),
        ],
      }
      r = await engines.embedded!.run(plan, targetsOf(server.url), {
        signal: new AbortController().signal,
        seed: 1,
        onProgress: (p) => progress.push(p),
        registerSecret: (v) => secrets.push(v),
      })
    })

    it('drives a paced constant arrival rate from a worker thread and records per-second HDR buckets', () => {
      expect(r.engine).toBe('embedded')
      expect(r.aborted).toBe(false)
      const tok = r.series.filter((s) => s.metric === 'oauth_token' && s.tags.flow === 'client-credentials')
      expect(tok.every((s) => s.tags.endpoint === 'token' && s.tags.grant === 'client_credentials')).toBe(true)
      expect(sum(tok)).toBe(100)
      expect(tok.every((s) => !s.failed && s.tags.status === '200')).toBe(true)
      const w = seriesWindow(tok, 0, 10_000)
      const u = seriesWindow(tok, 0, 10_000, 'uncorrected')
      expect(w.count).toBe(100)
      expect(percentileMs(w.histogram, 50)).toBeGreaterThan(0)
      // latency from the intended start can only add to latency from the send
      expect(percentileMs(w.histogram, 50)).toBeGreaterThanOrEqual(percentileMs(u.histogram, 50))
      expect(percentileMs(w.histogram, 100)).toBeGreaterThanOrEqual(percentileMs(u.histogram, 100))
      // loose: the suite shares two busy cores; the benchmarks measure accuracy
      expect(percentileMs(w.histogram, 50)).toBeLessThan(10_000)
      expect(counter(r, 'iterations', { flow: 'client-credentials' })).toBe(100)
      expect(progress.length).toBeGreaterThanOrEqual(1)
      expect(secrets.some((v) => v.startsWith('tok-'))).toBe(true)
    })

    it('re-authenticates once on a 401 and records the reason from WWW-Authenticate', () => {
      const rs = r.series.filter((s) => s.metric === 'rs_request' && s.tags.flow === 'api-call')
      // the one virtual client's first token is rejected as signed by an unknown key
      const rejected = rs.filter((s) => s.tags.status === '401')
      expect(rejected).toHaveLength(1)
      expect(sum(rejected)).toBe(1)
      expect(rejected[0]!.failed).toBe(true)
      expect(rejected[0]!.tags.reason).toBe('unknown_kid')
      expect(rejected[0]!.tags.target).toBe('rs1')
      expect(counter(r, 'reauth_on_401', { flow: 'api-call', reason: 'unknown_kid' })).toBe(1)
      const retried = rs.filter((s) => s.tags.attempt === 'retry')
      expect(sum(retried)).toBe(1)
      expect(retried[0]!.tags.status).toBe('200')
      const renewals = r.series.filter((s) => s.metric === 'oauth_token' && s.tags.flow === 'api-call')
      expect(sum(renewals)).toBe(1)
      expect(sum(rs.filter((s) => s.tags.status === '200'))).toBe(20)
    })

    it('streams the seconds that changed with each progress, adding up to the result', () => {
      const key = (name: string, failed: boolean, tags: Record<string, string | undefined>) =>
        `${name}|${failed}|${JSON.stringify(Object.entries(tags).sort())}`
      const streamed = new Map<string, Map<number, { count: number; latency: number | undefined }>>()
      const counters = new Map<string, Map<number, number>>()
      for (const [i, p] of progress.entries()) {
        for (const s of p.series ?? []) {
          const seconds =
            streamed.get(key(s.metric, s.failed, s.tags)) ??
            new Map<number, { count: number; latency: number | undefined }>()
          streamed.set(key(s.metric, s.failed, s.tags), seconds)
          for (const b of s.buckets) {
            // a second is sent whole, once it is over (but in the last message), and again only with news: more requests or its latency
            const before = seconds.get(b.s)
            expect(before?.count === b.count && before.latency !== undefined).toBe(false)
            const latency = b.latency ? decodeHistogram(b.latency).totalCount : undefined
            if (latency !== undefined) expect(latency).toBe(b.count)
            if (i < progress.length - 1) expect((b.s + 1) * 1000).toBeLessThanOrEqual(p.elapsedMs)
            seconds.set(b.s, { count: b.count, latency })
          }
        }
        for (const c of p.counters ?? []) {
          const values = counters.get(key(c.name, false, c.tags)) ?? new Map<number, number>()
          counters.set(key(c.name, false, c.tags), values)
          for (const v of c.values) values.set(v.s, v.value)
        }
      }
      expect(progress.filter((p) => p.series?.length).length).toBeGreaterThanOrEqual(2)
      // in the end every second has come with its latency, and the counts are the result's
      const final = new Map(
        r.series.map((s) => [
          key(s.metric, s.failed, s.tags),
          new Map(s.buckets.map((b) => [b.s, { count: b.count, latency: b.count }])),
        ]),
      )
      expect(streamed).toEqual(final)
      expect(counters).toEqual(
        new Map(r.counters.map((c) => [key(c.name, false, c.tags), new Map(c.values.map((v) => [v.s, v.value]))])),
      )
    })

    it('counts dropped iterations when every VU is busy', () => {
      const dropped = counter(r, 'dropped_iterations', { flow: 'api-slow' })
      const done = sum(r.series.filter((s) => s.metric === 'rs_request' && s.tags.flow === 'api-slow'))
      expect(dropped).toBeGreaterThanOrEqual(10)
      expect(done + dropped).toBe(20)
    })
  })

  it('returns a partial result marked aborted when the signal fires', async () => {
    const plan: LoadConfig = {
      duration: '30s',
      warmup: '0s',
      gracefulStop: '5s',
      flows: [flow({ flow: 'api-call', rate: 20, clients: 1, target: 'slow' })],
    }
    const ctl = new AbortController()
    let abortedAt = 0
    const onProgress = (p: LoadProgress) => {
      if (p.elapsedMs > 1000 && !abortedAt) {
        abortedAt = Date.now()
        ctl.abort()
      }
    }
    const r = await engines.embedded!.run(plan, targetsOf(server.url), { signal: ctl.signal, seed: 1, onProgress })
    expect(r.aborted).toBe(true)
    expect(Date.now() - abortedAt).toBeLessThan(5000)
    // 400 ms requests at 20/s: several were in flight; cancelled, they are counted, not failed
    expect(counter(r, 'interrupted_requests')).toBeGreaterThanOrEqual(1)
    expect(r.series.filter((x) => x.failed)).toEqual([])
    expect(sum(r.series)).toBeGreaterThan(5)
    expect(sum(r.series)).toBeLessThan(100)
  })

  it('prepares before t0 and keeps a t0 already past, counting the missed arrivals as not_ready', async () => {
    const plan: LoadConfig = { duration: '2s', warmup: '0s', gracefulStop: '1s', flows: [flow({ rate: 10 })] }
    const prepared = await engines.embedded!.prepare!(plan, targetsOf(server.url), {
      signal: new AbortController().signal,
      seed: 1,
    })
    const t0 = Date.now() - 1000
    const r = await prepared.start(t0)
    expect(r.startedAt).toBe(t0)
    const notReady = counter(r, 'dropped_iterations', { reason: 'not_ready' })
    const sent = sum(r.series)
    expect(notReady).toBeGreaterThanOrEqual(9)
    expect(notReady + sent).toBe(20)
    expect(r.warnings.some((w) => w.includes('not_ready'))).toBe(true)
  })

  it('runs the plan on a worker booted before the plan was known (preboot), and a spare nobody took is released', async () => {
    const release = engines.embedded!.preboot!()
    // give the spare time to load, so the prepare below takes it rather than booting its own
    await new Promise((r) => setTimeout(r, 500))
    expect(hasSpareWorker()).toBe(true)
    const plan: LoadConfig = { duration: '1s', warmup: '0s', gracefulStop: '1s', flows: [flow({ rate: 20 })] }
    const prepared = await engines.embedded!.prepare!(plan, targetsOf(server.url), {
      signal: new AbortController().signal,
      seed: 1,
    })
    expect(hasSpareWorker()).toBe(false)
    const r = await prepared.start(Date.now() + 50)
    release()
    expect(r.aborted).toBe(false)
    expect(sum(r.series.filter((x) => !x.failed))).toBe(20)
    // a second spare, never taken: released without keeping anything alive
    const again = engines.embedded!.preboot!()
    await new Promise((r) => setTimeout(r, 200))
    expect(hasSpareWorker()).toBe(true)
    again()
    expect(hasSpareWorker()).toBe(false)
  })

  it('keeps at most load.connections sockets per origin: the other requests wait, and the wait is in their latency', async () => {
    // 100 calls/s to a route that takes 20 ms: two sockets' worth of work on average
    const run = async (connections?: number) => {
      server.pacedSockets.clear()
      const plan: LoadConfig = {
        duration: '2s',
        warmup: '0s',
        gracefulStop: '3s',
        ...(connections ? { connections } : {}),
        flows: [flow({ flow: 'api-call', target: 'paced', rate: 100, preAllocatedVUs: 10, maxVUs: 40, clients: 1 })],
      }
      const r = await engines.embedded!.run(plan, targetsOf(server.url), {
        signal: new AbortController().signal,
        seed: 1,
      })
      const rs = r.series.filter((x) => x.metric === 'rs_request' && !x.failed)
      return {
        sockets: server.pacedSockets.size,
        p50: percentileMs(seriesWindow(rs, 0, 2000).histogram, 50),
        dropped: counter(r, 'dropped_iterations'),
      }
    }
    const open = await run()
    const capped = await run(1)
    // one VU, one socket (k6's model): the warm-up and the overlapping calls spread over several
    expect(open.sockets).toBeGreaterThan(1)
    expect(open.p50).toBeLessThan(60)
    // one socket serves 50 calls/s: the rest queue until the 40 VUs are all waiting, then arrivals drop
    expect(capped.sockets).toBe(1)
    expect(capped.p50).toBeGreaterThan(100)
    expect(capped.dropped).toBeGreaterThan(0)
  })

  it('refuses a flow it does not have before starting a worker', async () => {
    const plan: LoadConfig = {
      duration: '1s',
      warmup: '0s',
      gracefulStop: '1s',
      flows: [flow({ flow: 'no-such-flow' as FlowConfig['flow'], rate: 1 })],
    }
    await expect(
      engines.embedded!.run(plan, targetsOf(server.url), { signal: new AbortController().signal, seed: 1 }),
    ).rejects.toMatchObject({ code: 'ERR_UNKNOWN_UNIT' })
  })

  it('refuses a target that is not loopback', async () => {
    const t = targetsOf(server.url)
    t.resourceServers[0]!.apiUrl = 'http://192.0.2.1/api'
    const plan: LoadConfig = {
      duration: '1s',
      warmup: '0s',
      gracefulStop: '1s',
      flows: [flow({ flow: 'api-call', rate: 1 })],
    }
    await expect(
      engines.embedded!.run(plan, t, { signal: new AbortController().signal, seed: 1 }),
    ).rejects.toMatchObject({ code: 'ERR_TARGET_NOT_LOOPBACK' })
  })
})
