import { createServer, type Server } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import type { FaultDefinition } from '../faults/types.ts'
import { isGamedayError } from '../errors.ts'
import type { FaultWindow } from '../record/index.ts'
import type { Targets } from '../runtime/types.ts'
import type { StackConfig } from '../scenario/schema.ts'
import { excusedBy, type Lost, startWatchdog, UNAVAILABLE_GRACE_MS, type Watched, watchList } from './watchdog.ts'

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
})

async function serve(status: () => number): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => res.writeHead(status()).end())
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  servers.push(server)
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server }
}

/** Run the watchdog at a fast cadence until it reports a loss or about `checks` checks have passed. */
async function watch(watched: Watched, excused: (c: string) => boolean, checks = 12): Promise<Lost | undefined> {
  let calls = 0
  return await new Promise<Lost | undefined>((resolve) => {
    const stop = startWatchdog({
      watched: [watched],
      // read at the start of every check (and again after a failed one)
      sinceT0: () => {
        if (++calls === checks * 2) void stop().then(() => resolve(undefined))
        return 0
      },
      intervalMs: 5,
      excused,
      onLost: (lost) => void stop().then(() => resolve(lost)),
    })
  })
}

describe('startWatchdog', () => {
  it('reports a component whose health route fails 5 checks in a row, with the last error', async () => {
    const { url } = await serve(() => 503)
    const lost = await watch({ component: 'as', kind: 'component', what: 'component as', url }, () => false)
    expect(lost).toMatchObject({ component: 'as', url })
    expect(lost!.error.message).toBe(`${url} answered 503`)
  })

  it('does not count failures of a component that is unavailable on purpose', async () => {
    const { url } = await serve(() => 503)
    expect(await watch({ component: 'as', kind: 'component', what: 'component as', url }, () => true)).toBeUndefined()
  })

  it('needs the failures in a row: a check that passes starts the count again', async () => {
    let n = 0
    const { url } = await serve(() => (++n % 4 === 0 ? 200 : 503))
    expect(await watch({ component: 'as', kind: 'component', what: 'component as', url }, () => false)).toBeUndefined()
  })

  it('reports an external target lost (nothing listens any more) as ERR_TARGET_UNREACHABLE naming it, with its hint', async () => {
    const { url, server } = await serve(() => 401)
    await new Promise((r) => server.close(r))
    servers.length = 0
    const lost = await watch(
      { component: 'rs-billing', kind: 'target', what: 'resource server billing', url: `${url}/api` },
      () => false,
    )
    expect(isGamedayError(lost?.error, 'ERR_TARGET_UNREACHABLE')).toBe(true)
    expect(lost!.error.message).toBe(
      `resource server billing at ${url}/api: connection refused: nothing listens on that port (ECONNREFUSED)`,
    )
    expect((lost!.error as { hint?: string }).hint).toContain('is resource server billing running?')
  })

  it('takes any HTTP answer of an external target as reachable', async () => {
    const { url } = await serve(() => 401)
    expect(
      await watch({ component: 'rs-billing', kind: 'target', what: 'resource server billing', url }, () => false),
    ).toBeUndefined()
  })
})

describe('excusedBy', () => {
  const outage = { id: 'outage', makesUnavailable: ['rs-orders'] } as unknown as FaultDefinition
  const byParam = {
    id: 'by-param',
    makesUnavailable: (p: { rs: string }) => [`rs-${p.rs}`],
  } as unknown as FaultDefinition
  const window = (fault: string, injectedAt: number, revertedAt?: number, params = {}): FaultWindow => ({
    index: 0,
    fault,
    params,
    injectedAt,
    ...(revertedAt === undefined ? {} : { revertedAt }),
    status: revertedAt === undefined ? 'active' : 'reverted',
  })
  const targets = {} as Targets
  const registry = { outage, 'by-param': byParam }

  it('excuses the declared component from injection to a grace after the revert, and nothing else', () => {
    const excused = excusedBy([window('outage', 10_000, 20_000)], targets, registry)
    expect(excused('rs-orders', 9_999)).toBe(false)
    expect(excused('rs-orders', 10_000)).toBe(true)
    expect(excused('rs-orders', 20_000 + UNAVAILABLE_GRACE_MS)).toBe(true)
    expect(excused('rs-orders', 20_001 + UNAVAILABLE_GRACE_MS)).toBe(false)
    expect(excused('as', 15_000)).toBe(false)
  })

  it('asks a declaration that is a function with the fault params, and excuses a fault still active', () => {
    const excused = excusedBy([window('by-param', 1_000, undefined, { rs: 'billing' })], targets, registry)
    expect(excused('rs-billing', 60_000)).toBe(true)
    expect(excused('rs-orders', 60_000)).toBe(false)
  })
})

describe('watchList', () => {
  const rs = (name: string, external: boolean) => ({
    name,
    baseUrl: `http://127.0.0.1:9${name.length}`,
    apiUrl: `http://127.0.0.1:9${name.length}/api`,
    scope: 'api',
    audience: name,
    external,
  })
  const targets = { issuer: 'http://127.0.0.1:8443/', resourceServers: [rs('orders', false), rs('billing', true)] }

  it('watches the health routes the runtime started and every external target: the issuer discovery, each external RS', () => {
    const stack = {
      targets: targets as unknown as Targets,
      health: () => [{ component: 'rs-orders', url: 'http://127.0.0.1:96/healthz' }],
    }
    const config = { authorizationServer: { external: { issuer: targets.issuer } } } as unknown as StackConfig
    expect(watchList(config, stack)).toEqual([
      { component: 'rs-orders', kind: 'component', what: 'component rs-orders', url: 'http://127.0.0.1:96/healthz' },
      {
        component: 'as',
        kind: 'target',
        what: 'the authorization server http://127.0.0.1:8443/',
        url: 'http://127.0.0.1:8443/.well-known/openid-configuration',
      },
      { component: 'rs-billing', kind: 'target', what: 'resource server billing', url: 'http://127.0.0.1:97/api' },
    ])
    expect(watchList({ authorizationServer: {} } as unknown as StackConfig, { targets: stack.targets })).toEqual([
      { component: 'rs-billing', kind: 'target', what: 'resource server billing', url: 'http://127.0.0.1:97/api' },
    ])
  })
})
