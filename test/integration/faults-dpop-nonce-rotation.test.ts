/**
 * `dpop-nonce-rotation` against a real stack (mock-as, a mock-rs that
 * verifies DPoP and one that ignores it): while the fault is in, an honest
 * client that retries once with the nonce it is given (RFC 9449 §8, §9) and
 * keeps the newest one still gets its token and its API answer; a nonce
 * that outlived two lifetimes costs one more retry; revert puts back the
 * nonce settings each component had.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { Value } from '@sinclair/typebox/value'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { faults } from '../../src/faults/index.ts'
import { clientCredentials } from '../../src/oauth/client.ts'
import { DpopSession, dpopTransport, nonceChallenge } from '../../src/oauth/dpop-client.ts'
import { fetchTransport } from '../../src/oauth/transport.ts'
import { startTestStack, type TestStack } from './helpers/stack.ts'

const fault = faults['dpop-nonce-rotation']!

async function inject(stack: TestStack, params: Record<string, unknown>) {
  const filled = Value.Default(fault.params, params)
  expect(Value.Check(fault.params, filled)).toBe(true)
  return await fault.inject(stack.context(), filled as never, new AbortController().signal)
}

/** An honest DPoP client: one key, the newest nonce per origin, one retry on use_dpop_nonce; counts its retries. */
function honestClient(stack: TestStack) {
  const session = DpopSession.generate()
  const retries = { token: 0, api: 0 }
  const client = stack.targets.clients.find((c) => c.grantTypes.includes('client_credentials'))!
  const rs = stack.targets.resourceServers.find((r) => r.name === 'orders')!
  const ep = {
    transport: dpopTransport(fetchTransport(), session, { onNonceRetry: () => retries.token++ }),
    issuer: stack.targets.issuer,
    authorizationEndpoint: stack.targets.authorizationEndpoint,
    tokenEndpoint: stack.targets.tokenEndpoint,
  }
  return {
    retries,
    async token(): Promise<string> {
      const r = await clientCredentials(ep, client, { scope: rs.scope, resource: rs.audience })
      expect(r).toMatchObject({ ok: true, token_type: 'DPoP' })
      return r.access_token!
    },
    async call(token: string): Promise<number> {
      const send = () =>
        fetch(rs.apiUrl, { headers: { authorization: `DPoP ${token}`, dpop: session.proof('GET', rs.apiUrl, token) } })
      let res = await send()
      session.observe(rs.apiUrl, plain(res.headers))
      if (nonceChallenge(res.status, plain(res.headers), await res.text()) !== undefined) {
        retries.api++
        res = await send()
        session.observe(rs.apiUrl, plain(res.headers))
      }
      return res.status
    },
  }
}

/** A fetch answer's headers as the src/oauth pieces read them. */
function plain(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {}
  headers.forEach((v, k) => {
    out[k] = v
  })
  return out
}

const nonceSettings = (s: Record<string, unknown>) => {
  const d = s.dpop as { nonceRequired: boolean; nonceLifetimeMs: number }
  return { nonceRequired: d.nonceRequired, nonceLifetimeMs: d.nonceLifetimeMs }
}

describe('dpop-nonce-rotation', () => {
  let stack: TestStack
  beforeAll(async () => {
    stack = await startTestStack({
      rs: [
        { name: 'orders', profile: 'resilient' },
        { name: 'legacy', profile: 'fixed-ttl' },
      ],
    })
  })
  afterAll(async () => {
    await stack?.stop()
  })

  it('makes honest clients retry once per stale nonce, at the AS and the RS, and still succeed', async () => {
    const c = honestClient(stack)
    expect(await c.call(await c.token())).toBe(200)
    expect(c.retries).toEqual({ token: 0, api: 0 })

    const active = await inject(stack, { nonceLifetime: '300ms' })
    try {
      // only the RS that verifies DPoP has nonces to rotate
      expect(active.details).toMatchObject({ side: 'both', nonceLifetimeMs: 300, rs: { orders: {} } })
      expect(Object.keys(active.details!.rs as object)).toEqual(['orders'])
      const token = await c.token()
      expect(c.retries.token).toBe(1)
      expect(await c.call(token)).toBe(200)
      expect(c.retries.api).toBe(1)
      // the nonce of the last answer is still good: no retry
      expect(await c.call(token)).toBe(200)
      await c.token()
      expect(c.retries).toEqual({ token: 1, api: 1 })
      // two lifetimes later both nonces are gone: one more retry each
      await sleep(700)
      expect(await c.call(await c.token())).toBe(200)
      expect(c.retries).toEqual({ token: 2, api: 2 })
    } finally {
      await active.revert()
      await active.revert()
    }
    expect(nonceSettings(await stack.targets.control.as!.state())).toEqual({
      nonceRequired: false,
      nonceLifetimeMs: 300_000,
    })
    const orders = stack.targets.resourceServers.find((r) => r.name === 'orders')!
    expect(nonceSettings(await orders.control!.state())).toEqual({ nonceRequired: false, nonceLifetimeMs: 300_000 })
    await sleep(700)
    expect(await c.call(await c.token())).toBe(200)
    expect(c.retries).toEqual({ token: 2, api: 2 })
  })

  it('restores the settings each component had before, not the config defaults', async () => {
    const as = stack.targets.control.as!
    const orders = stack.targets.resourceServers.find((r) => r.name === 'orders')!.control!
    await as.setDpop({ nonceRequired: true, nonceLifetimeMs: 60_000 })
    await orders.setDpop({ nonceRequired: false, nonceLifetimeMs: 90_000 })
    try {
      const active = await inject(stack, { side: 'rs', target: 'orders', nonceLifetime: '1s' })
      expect(active.details).toMatchObject({ rs: { orders: { nonceRequired: false, nonceLifetimeMs: 90_000 } } })
      expect(active.details!.as).toBeUndefined()
      expect(nonceSettings(await orders.state())).toEqual({ nonceRequired: true, nonceLifetimeMs: 1000 })
      expect(nonceSettings(await as.state())).toEqual({ nonceRequired: true, nonceLifetimeMs: 60_000 })
      await active.revert()
      expect(nonceSettings(await orders.state())).toEqual({ nonceRequired: false, nonceLifetimeMs: 90_000 })
      expect(nonceSettings(await as.state())).toEqual({ nonceRequired: true, nonceLifetimeMs: 60_000 })
    } finally {
      await as.setDpop({ nonceRequired: false, nonceLifetimeMs: 300_000 })
      await orders.setDpop({ nonceLifetimeMs: 300_000 })
    }
  })

  it('refuses a named RS that does not verify DPoP or does not exist, leaving the AS as it was', async () => {
    await expect(inject(stack, { side: 'rs', target: 'legacy' })).rejects.toMatchObject({
      code: 'ERR_CAPABILITY_MISSING',
      message: expect.stringContaining('legacy does not verify DPoP'),
    })
    await expect(inject(stack, { side: 'both', target: 'nowhere' })).rejects.toMatchObject({
      code: 'ERR_SCENARIO_INVALID',
    })
    // nothing was left behind by the refused injections
    expect(nonceSettings(await stack.targets.control.as!.state()).nonceRequired).toBe(false)
  })
})
