/**
 * A fake runtime and a fake load engine for driving `runScenario` without
 * servers: the runtime's AS control records every call and publishes it on an
 * event feed, as mock-as does; the engine waits out the planned duration on
 * the real clock and hands back fixed per-second series with real encoded
 * histograms. Both are deterministic apart from wall-clock times.
 */
import { createServer } from 'node:http'
import type { LoadEngineDefinition } from '../../src/load/types.ts'
import type { LoadResult } from '../../src/record/index.ts'
import type { AsControl, ComponentEvent, RuntimeDefinition, StartedStack, Targets } from '../../src/runtime/types.ts'
import { parseDuration } from '../../src/util/duration.ts'
import { buildSeries, type SeriesSpec } from '../fixtures/records/build.ts'

/** What the fake AS was asked to do, in order. */
export interface FakeAsCalls {
  calls: Array<{ method: string; args: unknown[] }>
}

/** An AS control that records each call and publishes `control.<method>` on its feed. */
function fakeAs(log: FakeAsCalls, feed: ComponentEvent[]): AsControl {
  return new Proxy({} as AsControl, {
    get(_t, method: string) {
      if (method === 'then') return undefined
      return async (...args: unknown[]) => {
        log.calls.push({ method, args })
        feed.push({ seq: feed.length + 1, time: Date.now(), type: `control.${method}`, data: { args } })
        return method === 'revoke' ? { revoked: 0 } : method === 'state' ? {} : undefined
      }
    },
  })
}

export interface FakeRuntime extends RuntimeDefinition {
  readonly as: FakeAsCalls
  /** Times stop() was called. */
  stops: number
  /** With `{ health: true }`: the AS's health route, answering 503 while `failing`; `checks` holds the `x-gameday-probe` of each call. */
  readonly health: { failing: boolean; checks: Array<string | undefined> }
  /** With `{ externalRs: true }`: close the loopback server of the external RS `my-other-api` (it stops answering). */
  closeExternalRs(): void
}

/**
 * A runtime whose stack is one fake AS (control + feed) and one RS target
 * that only preflight calls: a real loopback server answering 404 to every
 * request stands at their URLs, so preflight finds something listening.
 */
export function fakeRuntime(options: { health?: boolean; externalRs?: boolean } = {}): FakeRuntime {
  const as: FakeAsCalls = { calls: [] }
  const health: FakeRuntime['health'] = { failing: false, checks: [] }
  let external: ReturnType<typeof createServer> | undefined
  const rt: FakeRuntime = {
    id: 'fake',
    summary: 'a fake stack (tests)',
    as,
    stops: 0,
    health,
    closeExternalRs() {
      external?.close()
      external?.closeAllConnections()
    },
    async start() {
      let externalBase: string | undefined
      if (options.externalRs) {
        external = createServer((_req, res) => res.writeHead(401).end())
        await new Promise<void>((r) => external!.listen(0, '127.0.0.1', r))
        externalBase = `http://127.0.0.1:${(external.address() as { port: number }).port}`
      }
      const feed: ComponentEvent[] = []
      const server = createServer((req, res) => {
        if (options.health && req.url === '/healthz') {
          const mark = req.headers['x-gameday-probe']
          health.checks.push(Array.isArray(mark) ? mark[0] : mark)
          return res.writeHead(health.failing ? 503 : 200).end()
        }
        res.writeHead(404).end()
      })
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
      const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`
      const targets: Targets = {
        issuer: base,
        tokenEndpoint: `${base}/token`,
        authorizationEndpoint: `${base}/authorize`,
        jwksUri: `${base}/jwks`,
        rsJwksUri: `${base}/jwks`,
        clients: [],
        users: [],
        resourceServers: [
          {
            name: 'orders',
            baseUrl: base,
            apiUrl: `${base}/api`,
            scope: 'api',
            audience: 'orders',
            profile: 'resilient',
            mode: 'jwt',
            external: false,
          },
          ...(externalBase
            ? [
                {
                  name: 'my-other-api',
                  baseUrl: externalBase,
                  apiUrl: `${externalBase}/api`,
                  scope: 'api',
                  audience: 'my-other-api',
                  external: true,
                },
              ]
            : []),
        ],
        control: { as: fakeAs(as, feed) },
        feeds: [{ source: 'mock-as', poll: async (since) => feed.filter((e) => e.seq > since) }],
      }
      const stack: StartedStack = {
        targets,
        ...(options.health ? { health: () => [{ component: 'as', url: `${base}/healthz` }] } : {}),
        async stop() {
          rt.stops++
          rt.closeExternalRs()
          await new Promise((r) => server.close(r))
        },
        async logs() {
          return { 'mock-as': 'fake log\n' }
        },
        async [Symbol.asyncDispose]() {
          await stack.stop()
        },
      }
      return stack
    },
  }
  return rt
}

/** Series of the fake load: 20 tokens/s and 50 RS calls/s, all fine, plus `failures` not_yet_valid rejections in second 1. */
export function fakeSeries(failures = 5): SeriesSpec[] {
  return [
    { metric: 'oauth_token', rate: 20, latencyMs: (s, i) => 10 + s + (i % 5) },
    { metric: 'rs_request', tags: { flow: 'api-call', target: 'orders' }, rate: 50, latencyMs: (_s, i) => 5 + (i % 7) },
    ...(failures > 0
      ? [
          {
            metric: 'rs_request' as const,
            tags: { flow: 'api-call', target: 'orders', status: '401', reason: 'not_yet_valid' },
            failed: true,
            from: 1,
            to: 2,
            rate: failures,
            latencyMs: 3,
          },
        ]
      : []),
  ]
}

/** An engine that runs for the plan's duration (on the real clock, cut short by the signal) and returns {@link fakeSeries}. */
export function fakeEngine(series: SeriesSpec[] = fakeSeries()): LoadEngineDefinition {
  const run: LoadEngineDefinition['run'] = async (plan, _targets, options) => {
    const durationMs = parseDuration(plan.duration) ?? 0
    const startAt = options.startAt ?? Date.now()
    // stream each second once it is over, as the embedded engine does (the live SLO status and the steady-state gate read it)
    const ticks: NodeJS.Timeout[] = []
    for (let s = 0; s * 1000 < durationMs; s++) {
      ticks.push(
        setTimeout(
          () => {
            const second = series.map((spec) =>
              buildSeries(
                {
                  ...spec,
                  from: Math.max(spec.from ?? 0, s),
                  to: Math.min(spec.to ?? Number.POSITIVE_INFINITY, s + 1),
                },
                durationMs,
              ),
            )
            options.onProgress?.({
              elapsedMs: (s + 1) * 1000,
              totalMs: durationMs,
              rate: 0,
              p95: 0,
              errorRate: 0,
              droppedIterations: 0,
              activeVUs: 0,
              series: second.filter((x) => x.buckets.length > 0),
              counters: [],
            })
          },
          Math.max(0, startAt + (s + 1) * 1000 - Date.now()),
        ),
      )
    }
    const aborted = await new Promise<boolean>((resolve) => {
      if (options.signal.aborted) return resolve(true)
      const timer = setTimeout(() => resolve(false), Math.max(0, startAt + durationMs - Date.now()))
      options.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer)
          resolve(true)
        },
        { once: true },
      )
    })
    for (const t of ticks) clearTimeout(t)
    const ranMs = aborted ? Math.max(0, Math.min(durationMs, Date.now() - startAt)) : durationMs
    const result: LoadResult = {
      engine: 'fake',
      engineVersion: '0.0.0',
      startedAt: startAt,
      durationMs: ranMs,
      latencyBasis: 'intended-start',
      series: series.map((s) => buildSeries(s, ranMs)).filter((s) => s.buckets.length > 0),
      counters: [],
      aborted,
      warnings: [],
    }
    return result
  }
  return {
    id: 'fake',
    summary: 'a fake engine (tests)',
    async available() {
      return { ok: true, version: '0.0.0' }
    },
    run,
    async prepare(plan, targets, options) {
      return {
        start: (startAt) => run(plan, targets, { ...options, ...(startAt !== undefined ? { startAt } : {}) }),
        cancel: async () => undefined,
      }
    },
  }
}
