/**
 * The flows with `dpop: true` against a small AS + RS on loopback that check
 * every proof (src/oauth/dpop.ts), demand nonces at both (RFC 9449 §8, §9)
 * and bind tokens to the proof key. The interop suite does the same against
 * node-oidc-provider (test/integration/dpop-oidc-provider.test.ts).
 */
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DpopError, DpopNonceSource, DpopReplayCache, verifyDpopProof } from '../../oauth/dpop.ts'
import type { Targets } from '../../runtime/types.ts'
import type { FlowConfig } from '../../scenario/schema.ts'
import { createHttpClient, type HttpClient } from '../http.ts'
import { apiCall } from './api-call.ts'
import { clientCredentials } from './client-credentials.ts'
import type { FlowContext } from './types.ts'

let server: Server
let base: string
let http: HttpClient
const asNonces = new DpopNonceSource({ lifetimeMs: 3_600_000 })
const rsNonces = new DpopNonceSource({ lifetimeMs: 3_600_000 })
const replayCache = new DpopReplayCache()
/** access token → the jkt it is bound to */
const bound = new Map<string, string>()
const seenSchemes: string[] = []

function check(req: IncomingMessage, extra: { accessToken?: string; expectedJkt?: string; nonce: DpopNonceSource }) {
  return verifyDpopProof(req.headers.dpop, {
    htm: req.method ?? 'GET',
    htu: `${base}${req.url}`,
    iatWindow: { past: 60, future: 10 },
    replayCache,
    ...extra,
  })
}

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      try {
        if (req.url === '/token') {
          const { jkt } = check(req, { nonce: asNonces })
          const token = randomBytes(16).toString('base64url')
          bound.set(token, jkt)
          res.writeHead(200, { 'content-type': 'application/json', 'dpop-nonce': asNonces.current() })
          res.end(JSON.stringify({ access_token: token, token_type: 'DPoP', expires_in: 300 }))
          return
        }
        const [scheme, token = ''] = (req.headers.authorization ?? '').split(' ')
        seenSchemes.push(scheme ?? '')
        check(req, { accessToken: token, expectedJkt: bound.get(token) ?? 'none', nonce: rsNonces })
        res.writeHead(200, { 'content-type': 'application/json', 'dpop-nonce': rsNonces.current() })
        res.end('{}')
      } catch (err) {
        const e = err as DpopError
        const nonce = { 'dpop-nonce': (req.url === '/token' ? asNonces : rsNonces).current() }
        if (req.url === '/token') {
          res.writeHead(400, { 'content-type': 'application/json', ...nonce })
          res.end(JSON.stringify({ error: e.oauthError, error_description: e.message }))
        } else {
          res.writeHead(401, { 'www-authenticate': `DPoP error="${e.oauthError}", algs="ES256"`, ...nonce })
          res.end()
        }
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  http = createHttpClient({ connections: 4 })
})
afterAll(async () => {
  await http.close()
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

interface Rec {
  metric: string
  tags: Record<string, unknown>
  failed: boolean
}

function context(config: Partial<FlowConfig>) {
  const records: Rec[] = []
  const counts: Array<{ name: string; tags: Record<string, string> }> = []
  const ctx = {
    name: config.flow,
    config: { dpop: true, dpopAlg: 'ES256', clients: 2, ...config },
    targets: {
      tokenEndpoint: `${base}/token`,
      clients: [
        {
          clientId: 'svc',
          clientSecret: 's',
          public: false,
          grantTypes: ['client_credentials'],
          scopes: [],
          redirectUris: [],
        },
      ],
      resourceServers: [
        { name: 'orders', baseUrl: base, apiUrl: `${base}/api/orders`, scope: 'orders:read', external: false },
      ],
    } as unknown as Targets,
    http,
    timeoutMs: 5000,
    random: Math.random,
    signal: new AbortController().signal,
    now: () => performance.timeOrigin + performance.now(),
    record: (metric: string, tags: Record<string, unknown>, _i: number, _s: number, _e: number, failed: boolean) =>
      records.push({ metric, tags, failed }),
    count: (name: string, tags: Record<string, string> = {}) => counts.push({ name, tags }),
    registerSecret: () => {},
    warn: (m: string) => {
      throw new Error(m)
    },
  } as unknown as FlowContext
  return { ctx, records, counts }
}

const vu = (id: number) => ({
  id,
  intendedStart: performance.timeOrigin + performance.now(),
  signal: new AbortController().signal,
})

describe('flows with dpop: true', () => {
  it('client-credentials gets DPoP-bound tokens, one key per VU, retrying the first request of each VU on use_dpop_nonce', async () => {
    const { ctx, records, counts } = context({ flow: 'client-credentials' })
    const state = await clientCredentials.setup(ctx)
    for (const id of [1, 2, 1, 2]) await clientCredentials.iteration(ctx, vu(id), state)
    expect(records.map((r) => [r.metric, r.tags.status, r.failed])).toEqual(
      Array(4).fill(['oauth_token', '200', false]),
    )
    expect(counts.filter((c) => c.name === 'dpop_nonce_retries')).toHaveLength(2)
    expect(state.dpop(1)!.jkt).not.toBe(state.dpop(2)!.jkt)
    expect(state.dpop(1)).toBe(state.dpop(1))
  })

  it('api-call sends DPoP tokens with ath-bound proofs and answers the RS nonce challenge once per virtual client', async () => {
    const { ctx, records, counts } = context({ flow: 'api-call', target: 'orders' })
    const state = await apiCall.setup(ctx)
    seenSchemes.length = 0
    for (let i = 0; i < 6; i++) await apiCall.iteration(ctx, vu(1), state)
    const api = records.filter((r) => r.metric === 'rs_request')
    expect(api.map((r) => [r.tags.status, r.failed])).toEqual(Array(6).fill(['200', false]))
    expect(new Set(seenSchemes)).toEqual(new Set(['DPoP']))
    expect(counts.filter((c) => c.name === 'dpop_nonce_retries' && c.tags.endpoint === 'api')).toHaveLength(2)
    expect(counts.filter((c) => c.name === 'dpop_proof_rejections')).toEqual([])
  })

  it('counts a proof the RS refuses as a proof rejection, not a nonce retry', async () => {
    const { ctx, records, counts } = context({ flow: 'api-call', target: 'orders' })
    const state = await apiCall.setup(ctx)
    // the token gets bound to another key: the RS refuses the proof (cnf.jkt mismatch)
    const token = state.holders[0]!.current()!
    bound.set(token, 'another-key')
    await apiCall.iteration(ctx, vu(1), state)
    const rejected = counts.filter((c) => c.name === 'dpop_proof_rejections')
    expect(rejected.length).toBeGreaterThanOrEqual(1)
    expect(records.find((r) => r.metric === 'rs_request')).toMatchObject({
      failed: true,
      tags: { status: '401', error: 'invalid_dpop_proof' },
    })
  })
})
