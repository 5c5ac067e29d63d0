import { Value } from '@sinclair/typebox/value'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { faults } from '../../src/faults/index.ts'
import { callResource, clientCredentials } from '../../src/oauth/client.ts'
import { endpointsOf, pickClient } from '../../src/faults/support.ts'
import type { Targets } from '../../src/runtime/types.ts'
import { startTestStack, type TestStack } from './helpers/stack.ts'

async function inject(stack: TestStack, id: string, params: Record<string, unknown>) {
  const fault = faults[id]!
  const filled = Value.Default(fault.params, params)
  expect(Value.Check(fault.params, filled)).toBe(true)
  const ctx = stack.context()
  return { active: await fault.inject(ctx, filled as never, new AbortController().signal), ctx }
}

async function call(targets: Targets, rsName: string, clientId = 'svc') {
  const rs = targets.resourceServers.find((r) => r.name === rsName)!
  const t = await clientCredentials(
    endpointsOf(targets, 't'),
    pickClient(targets, 't', 'client_credentials', clientId),
    { scope: rs.scope },
  )
  return { token: t, res: t.access_token ? await callResource(rs.apiUrl, t.access_token) : undefined }
}

describe('faults change what the stack does', () => {
  let stack: TestStack
  beforeAll(async () => {
    stack = await startTestStack({
      rs: [
        { name: 'resilient', profile: 'resilient' },
        { name: 'strict', profile: 'strict-clock' },
        { name: 'introspect', profile: 'no-introspection-cache' },
      ],
      cdn: true,
      proxy: true,
    })
  })
  afterAll(async () => {
    await stack?.stop()
  })

  it('clock-skew on the RS side makes a strict RS reject fresh tokens, and revert heals it', async () => {
    const { active } = await inject(stack, 'clock-skew', { side: 'rs', offsetSeconds: -120, target: 'strict' })
    const during = await call(stack.targets, 'strict')
    expect(during.res?.status).toBe(401)
    expect(during.res?.reason).toBe('not_yet_valid')
    await active.revert()
    expect((await call(stack.targets, 'strict')).res?.status).toBe(200)
  })

  it('clock-skew on the AS side ahead is tolerated by resilient (30 s) but not by strict-clock', async () => {
    const { active } = await inject(stack, 'clock-skew', { side: 'as', offsetSeconds: 10 })
    try {
      expect((await call(stack.targets, 'resilient')).res?.status).toBe(200)
      expect((await call(stack.targets, 'strict')).res?.reason).toBe('not_yet_valid')
    } finally {
      await active.revert()
    }
  })

  it('token-endpoint-overload adds latency and errors to /token via mock-as', async () => {
    const { active } = await inject(stack, 'token-endpoint-overload', {
      latencyMs: 150,
      jitterMs: 0,
      errorRatio: 1,
      errorStatus: 503,
    })
    try {
      const { token } = await call(stack.targets, 'resilient')
      expect(token.status).toBe(503)
      expect(token.ms).toBeGreaterThanOrEqual(120)
    } finally {
      await active.revert()
    }
    expect((await call(stack.targets, 'resilient')).token.status).toBe(200)
  })

  it('revocation by client makes an introspecting RS reject tokens issued before', async () => {
    const before = await call(stack.targets, 'introspect', 'svc-opaque')
    expect(before.res?.status).toBe(200)
    const { active } = await inject(stack, 'revocation', { by: 'client', clientId: 'svc-opaque' })
    expect(active.details?.revoked as number).toBeGreaterThan(0)
    const rs = stack.targets.resourceServers.find((r) => r.name === 'introspect')!
    const after = await callResource(rs.apiUrl, before.token.access_token!)
    expect(after.status).toBe(401)
    await active.revert()
  })

  it('leaked-refresh-token (after) is refused and the family revoked by mock-as', async () => {
    const { active, ctx } = await inject(stack, 'leaked-refresh-token', { timing: 'after', attackerIntervalMs: 100 })
    await new Promise((r) => setTimeout(r, 400))
    await active.revert()
    expect(active.details).toMatchObject({
      reuseRefused: true,
      familyRevoked: true,
      attackerRefreshes: 0,
      attackerApiCalls: 0,
    })
    expect(ctx.events().some((e) => e.type === 'refresh_token.replayed')).toBe(true)
  })

  it('leaked-refresh-token (concurrent) lets at most one of the two refreshes win', async () => {
    const { active } = await inject(stack, 'leaked-refresh-token', { timing: 'concurrent' })
    await active.revert()
    const d = active.details as { replay: { ok: boolean }; legitimate: { ok: boolean }; familyRevoked: boolean }
    expect(d.replay.ok && d.legitimate.ok).toBe(false)
    expect(d.familyRevoked).toBe(true)
  })

  it('stale-jwks-cdn keeps the old key set at the CDN after the rotation', async () => {
    const { active } = await inject(stack, 'stale-jwks-cdn', { strategy: 'forced-ttl', ttl: '60s', leadTime: '0s' })
    try {
      const newKid = active.details?.newKid as string
      const viaCdn = (await (await fetch(stack.targets.rsJwksUri)).json()) as { keys: Array<{ kid: string }> }
      const origin = (await (await fetch(stack.targets.jwksUri)).json()) as { keys: Array<{ kid: string }> }
      expect(origin.keys.map((k) => k.kid)).toContain(newKid)
      expect(viaCdn.keys.map((k) => k.kid)).not.toContain(newKid)
      expect((await call(stack.targets, 'resilient')).res?.reason).toBe('unknown_kid')
    } finally {
      await active.revert()
    }
    const healed = (await (await fetch(stack.targets.rsJwksUri)).json()) as { keys: Array<{ kid: string }> }
    expect(healed.keys.map((k) => k.kid)).toContain(active.details?.newKid)
  })

  it('jwks-outage answers 503 on the JWKS path through the proxy, and revert removes the toxic', async () => {
    const { active } = await inject(stack, 'jwks-outage', { mode: 'error', status: 503 })
    const viaProxy = `${stack.proxyUrl}${new URL(stack.targets.jwksUri).pathname}`
    expect((await fetch(viaProxy)).status).toBe(503)
    expect((await fetch(stack.targets.jwksUri)).status).toBe(200)
    await active.revert()
    expect((await fetch(viaProxy)).status).toBe(200)
    expect(await stack.targets.control.proxy!.listToxics()).toEqual([])
  })
})
