/**
 * Deliberate traffic is marked (DESIGN.md's decisions): what a probe sends
 * through src/oauth's transport carries `x-gameday-probe`, and mock-as,
 * mock-rs, the JWKS CDN and the fault proxy count it under `source="probe"`
 * on /metrics, apart from the load (`source="load"`). Real servers on
 * 127.0.0.1, a real probe, metrics read as Prometheus would scrape them.
 */
import { Value } from '@sinclair/typebox/value'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { endpointsOf, pickClient } from '../../src/faults/support.ts'
import { callResource, clientCredentials } from '../../src/oauth/client.ts'
import { probes } from '../../src/probes/index.ts'
import { PROBE_HEADER } from '../../src/util/component/probe-traffic.ts'
import { startTestStack, type TestStack } from './helpers/stack.ts'

/** The sum of the samples of `name` whose labels include every one of `labels`. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  let sum = 0
  for (const line of text.split('\n')) {
    const m = new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`).exec(line)
    if (!m) continue
    const have = Object.fromEntries([...(m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]))
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[2])
  }
  return sum
}

const scrape = async (url: string) => (await fetch(url)).text()

describe('probe traffic', () => {
  let stack: TestStack
  beforeAll(async () => {
    stack = await startTestStack({ rs: [{ name: 'orders', profile: 'resilient' }], cdn: true, proxy: true })
  })
  afterAll(async () => {
    await stack?.stop()
  })

  it('is counted under source="probe" by mock-as, the load under source="load"', async () => {
    const { targets } = stack
    const client = pickClient(targets, 'test', 'client_credentials')
    const { transport: _marked, ...unmarked } = endpointsOf(targets, 'unused')
    const load = await clientCredentials(unmarked, client, { scope: 'orders:read' })
    expect(load.ok).toBe(true)
    const probe = probes['pkce-enforcement']!
    const outcome = await probe.run(
      stack.context(),
      Value.Default(probe.params, {}) as never,
      new AbortController().signal,
    )
    expect(outcome.value).toBe(true)
    const text = await scrape(`${targets.issuer}/metrics`)
    expect(
      sample(text, 'mock_as_requests_total', { endpoint: '/token', grant_type: 'client_credentials', source: 'load' }),
    ).toBe(1)
    expect(
      sample(text, 'mock_as_requests_total', { endpoint: '/token', grant_type: 'client_credentials', source: 'probe' }),
    ).toBe(0)
    // the probe's four logins (two refused at once, two through the form) and its two code redemptions, all marked
    expect(sample(text, 'mock_as_requests_total', { endpoint: '/authorize', source: 'probe' })).toBeGreaterThanOrEqual(
      6,
    )
    expect(
      sample(text, 'mock_as_requests_total', { endpoint: '/token', grant_type: 'authorization_code', source: 'probe' }),
    ).toBeGreaterThanOrEqual(2)
    expect(sample(text, 'mock_as_requests_total', { endpoint: '/authorize', source: 'load' })).toBe(0)
    expect(
      sample(text, 'mock_as_request_duration_seconds_count', { endpoint: '/authorize', source: 'probe' }),
    ).toBeGreaterThanOrEqual(6)
  })

  it('is counted under source="probe" by mock-rs', async () => {
    const { targets } = stack
    const rs = targets.resourceServers[0]!
    const client = pickClient(targets, 'test', 'client_credentials')
    const marked = endpointsOf(targets, 'probe-traffic-test')
    const t = await clientCredentials(marked, client, { scope: rs.scope! })
    expect((await callResource(rs.apiUrl, t.access_token!, undefined, marked.transport)).status).toBe(200)
    expect((await callResource(rs.apiUrl, t.access_token!)).status).toBe(200)
    expect((await callResource(rs.apiUrl, t.access_token!)).status).toBe(200)
    expect((await callResource(rs.apiUrl, 'not-a-token', undefined, marked.transport)).status).toBe(401)
    const text = await scrape(`${rs.baseUrl}/metrics`)
    expect(sample(text, 'rs_validations_total', { outcome: 'accepted', source: 'probe' })).toBe(1)
    expect(sample(text, 'rs_validations_total', { outcome: 'accepted', source: 'load' })).toBe(2)
    expect(sample(text, 'rs_validations_total', { outcome: 'rejected', reason: 'malformed', source: 'probe' })).toBe(1)
    expect(sample(text, 'rs_validations_total', { outcome: 'rejected', source: 'load' })).toBe(0)
  })

  it('is counted under source="probe" by the JWKS CDN and the fault proxy', async () => {
    const { targets, proxyUrl } = stack
    const cdnOrigin = new URL(targets.rsJwksUri).origin
    const before = await scrape(`${cdnOrigin}/metrics`)
    const probeBefore = sample(before, 'cdn_requests_total', { source: 'probe' })
    const loadBefore = sample(before, 'cdn_requests_total', { source: 'load' })
    expect((await fetch(targets.rsJwksUri, { headers: { [PROBE_HEADER]: 'probe-traffic-test' } })).status).toBe(200)
    expect((await fetch(targets.rsJwksUri)).status).toBe(200)
    expect((await fetch(targets.rsJwksUri)).status).toBe(200)
    const after = await scrape(`${cdnOrigin}/metrics`)
    expect(sample(after, 'cdn_requests_total', { source: 'probe' }) - probeBefore).toBe(1)
    expect(sample(after, 'cdn_requests_total', { source: 'load' }) - loadBefore).toBe(2)

    expect(proxyUrl).toBeDefined()
    const pBefore = await scrape(`${proxyUrl}/metrics`)
    const marked = endpointsOf(targets, 'probe-traffic-test').transport!
    const via = `${proxyUrl}/.well-known/oauth-authorization-server`
    expect((await marked({ url: via, method: 'GET', headers: {} })).status).toBe(200)
    expect((await fetch(via)).status).toBe(200)
    const pAfter = await scrape(`${proxyUrl}/metrics`)
    expect(
      sample(pAfter, 'proxy_requests_total', { source: 'probe' }) -
        sample(pBefore, 'proxy_requests_total', { source: 'probe' }),
    ).toBe(1)
    expect(
      sample(pAfter, 'proxy_requests_total', { source: 'load' }) -
        sample(pBefore, 'proxy_requests_total', { source: 'load' }),
    ).toBe(1)
  })
})
