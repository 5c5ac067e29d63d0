/**
 * An RS that is not ours: express + express-oauth2-jwt-bearer (Auth0's
 * middleware, jose's createRemoteJWKSet underneath with its documented
 * defaults: key set cached 10 min, refetch on an unknown kid at most once per
 * 30 s cooldown). The bad-key-rotation fault with sign-before-publish must
 * show a JWKS refresh latency bounded by that cooldown: at least the time the
 * kid stayed unpublished, at most the 30 s cooldown plus the probe's polling.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { Value } from '@sinclair/typebox/value'
import { auth } from 'express-oauth2-jwt-bearer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { faults } from '../../src/faults/index.ts'
import { probes } from '../../src/probes/index.ts'
import { startTestStack, type TestStack } from './helpers/stack.ts'

const COOLDOWN_MS = 30_000

/** The little of express this test uses (express ships no types and @types/express is not installed). */
type Handler = (
  req: IncomingMessage,
  res: ServerResponse & { json(body: unknown): void },
  next: (err?: unknown) => void,
) => void
interface ExpressApp {
  get(path: string, ...handlers: Handler[]): void
  listen(port: number, host: string, cb: () => void): Server
}
const express = createRequire(import.meta.url)('express') as () => ExpressApp

describe('external RS built with express-oauth2-jwt-bearer', () => {
  let stack: TestStack
  let server: Server
  beforeAll(async () => {
    stack = await startTestStack({ rs: [] })
    const app = express()
    app.get(
      '/api/orders',
      auth({ issuerBaseURL: stack.targets.issuer, audience: 'https://api.example' }) as unknown as Handler,
      (_req, res) => {
        res.json({ orders: [] })
      },
    )
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s))
    })
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    stack.targets.resourceServers.push({
      name: 'express',
      baseUrl: url,
      apiUrl: `${url}/api/orders`,
      scope: 'orders:read',
      audience: 'https://api.example',
      external: true,
    })
  })
  afterAll(async () => {
    server?.closeAllConnections()
    await new Promise((r) => server?.close(r))
    await stack?.stop()
  })

  it('accepts mock-as tokens and keeps serving a revoked JWT (revocation-propagation times out)', async () => {
    const probe = probes['revocation-propagation']!
    // a JWT RS never rejects a revoked token before exp: the probe must say so (timeout), not invent a number
    const r = await probe.run(
      stack.context(),
      Value.Default(probe.params, { timeout: '4s', intervalMs: 200 }) as never,
      new AbortController().signal,
    )
    expect(r.observations.find((o) => o.event === 'accepted-before')?.status).toBe(200)
    expect(r.status).toBe('timeout')
    expect(r.breakdown?.['express.servedAfterRevocation'] as number).toBeGreaterThan(0)
  })

  it('reports a JWKS refresh latency within the bounds of jose defaults after sign-before-publish', {
    timeout: 90_000,
  }, async () => {
    const ctx = stack.context()
    const ctl = new AbortController()
    const probe = probes['jwks-refresh-latency']!
    const running = probe.run(
      ctx,
      Value.Default(probe.params, { timeout: '50s', intervalMs: 250 }) as never,
      ctl.signal,
    )
    await new Promise((r) => setTimeout(r, 500))
    const fault = faults['bad-key-rotation']!
    const active = await fault.inject(
      ctx,
      Value.Default(fault.params, { mode: 'sign-before-publish', unpublishedFor: '3s' }) as never,
      ctl.signal,
    )
    const r = await running
    await active.revert()
    expect(r.status).toBe('ok')
    const latency = r.value as number
    console.info(`express-oauth2-jwt-bearer jwks refresh latency: ${latency} ms`)
    // the first unknown kid triggers a fetch that still misses it; the next fetch waits for the cooldown
    expect(latency).toBeGreaterThanOrEqual(3000)
    expect(latency).toBeLessThanOrEqual(COOLDOWN_MS + 5000)
  })
})
