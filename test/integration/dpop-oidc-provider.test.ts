/**
 * Interop: the harness's DPoP client (src/oauth/dpop-client.ts and the load
 * flows) against node-oidc-provider 8 with `features.dPoP` on and nonces
 * required (RFC 9449 §8), and against a resource server that checks proofs
 * with jose (§7, §9: its own nonce, `ath`, `cnf.jkt` of node-oidc-provider's
 * JWT access token). Nothing on the server side here is the harness's code.
 */
import { createHash, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  type CryptoKey,
  calculateJwkThumbprint,
  createLocalJWKSet,
  EmbeddedJWK,
  exportJWK,
  generateKeyPair,
  type JWK,
  jwtVerify,
} from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engines } from '../../src/load/index.ts'
import { DpopSession, dpopTransport } from '../../src/oauth/dpop-client.ts'
import { postForm } from '../../src/oauth/token-endpoint.ts'
import { fetchTransport } from '../../src/oauth/transport.ts'
import type { CounterSeries, LoadResult, RunRecord } from '../../src/record/index.ts'
import type { Targets } from '../../src/runtime/types.ts'
import type { FlowConfig, LoadConfig } from '../../src/scenario/schema.ts'
import { m1 } from '../../src/slo/m1.ts'
import { m3 } from '../../src/slo/m3.ts'
import { evaluate, parseThreshold } from '../../src/slo/threshold.ts'

interface ProviderLike {
  on(event: string, fn: (...args: unknown[]) => void): void
  callback(): (req: IncomingMessage, res: ServerResponse) => void
  interactionDetails(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<{ uid: string; params: Record<string, string> }>
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    opts?: Record<string, unknown>,
  ): Promise<void>
  Grant: new (o: { accountId: string; clientId: string }) => { addOIDCScope(s: string): void; save(): Promise<string> }
}

const AUDIENCE = 'https://orders.example'
const REDIRECT = 'http://127.0.0.1:7/cb'
const SECRET = randomBytes(24).toString('base64url')

let op: Server
let rs: Server
let issuer: string
let rsUrl: string
let jwks: { keys: JWK[] }
/** What the RS saw: schemes, nonce challenges sent, refusals by reason. */
const rsSeen = { dpop: 0, bearer: 0, nonceChallenges: 0, refused: [] as string[] }

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => (s += c))
    req.on('end', () => resolve(s))
    req.on('error', reject)
  })
}

async function startProvider(): Promise<void> {
  op = createServer()
  await new Promise<void>((resolve) => op.listen(0, '127.0.0.1', resolve))
  issuer = `http://127.0.0.1:${(op.address() as AddressInfo).port}`
  const { privateKey } = await generateKeyPair('ES256', { extractable: true })
  const signing = { ...(await exportJWK(privateKey as CryptoKey)), kid: 'k1', alg: 'ES256', use: 'sig' }
  const { d: _d, ...pub } = signing
  jwks = { keys: [pub] }
  const { default: Provider } = (await import('oidc-provider' as string)) as {
    default: new (issuer: string, config: Record<string, unknown>) => ProviderLike
  }
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'svc',
        client_secret: SECRET,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'ES256',
      },
      {
        client_id: 'spa',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: [REDIRECT],
        id_token_signed_response_alg: 'ES256',
      },
    ],
    jwks: { keys: [signing] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    scopes: ['openid', 'orders:read'],
    ttl: {
      AccessToken: 300,
      ClientCredentials: 300,
      RefreshToken: 3600,
      IdToken: 300,
      Interaction: 600,
      Grant: 3600,
      Session: 3600,
    },
    findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub }) }),
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(g: string): boolean }) =>
      client.grantTypeAllowed('refresh_token'),
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx: unknown, client: { clientId: string }) =>
          client.clientId === 'svc' ? AUDIENCE : undefined,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'orders:read',
          audience: AUDIENCE,
          accessTokenTTL: 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
  })
  provider.on('server_error', () => {})
  const handle = provider.callback()
  op.on('request', (req, res) => {
    if (!req.url?.startsWith('/interaction/')) return handle(req, res)
    void (async () => {
      const details = await provider.interactionDetails(req, res)
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        res.end(
          `<form method="post" action="/interaction/${details.uid}"><input name="username"><input type="password" name="password"><button>Sign in</button></form>`,
        )
        return
      }
      const form = new URLSearchParams(await readBody(req))
      const accountId = form.get('username') ?? ''
      const grant = new provider.Grant({ accountId, clientId: details.params.client_id ?? '' })
      grant.addOIDCScope(details.params.scope ?? 'openid')
      const grantId = await grant.save()
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId }, consent: { grantId } },
        { mergeWithLastSubmission: false },
      )
    })().catch((err: unknown) => res.writeHead(500).end(String(err)))
  })
}

/** A resource server verifying with jose alone: the JWT access token, then the proof (§7.1), its own nonce (§9). */
async function startRs(): Promise<void> {
  const keySet = createLocalJWKSet(jwks)
  const nonce = randomBytes(16).toString('base64url')
  const used = new Set<string>()
  rs = createServer((req, res) => {
    const refuse = (error: string, description: string, extra: Record<string, string> = {}) => {
      rsSeen.refused.push(description)
      res.writeHead(401, {
        'www-authenticate': `DPoP error="${error}", error_description="${description}", algs="ES256"`,
        ...extra,
      })
      res.end()
    }
    // the engine warms its connections before t0 with requests elsewhere: not API calls
    if (req.url !== '/api/orders') return void res.writeHead(404).end()
    void (async () => {
      const [scheme, token = ''] = (req.headers.authorization ?? '').split(' ')
      if (scheme !== 'DPoP') {
        rsSeen.bearer++
        return refuse('invalid_token', 'dpop_required')
      }
      rsSeen.dpop++
      const { payload: at } = await jwtVerify(token, keySet, { issuer, audience: AUDIENCE, typ: 'at+jwt' })
      const proof = req.headers.dpop
      if (typeof proof !== 'string') return refuse('invalid_dpop_proof', 'no_proof')
      const { payload: p, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: ['ES256'],
        maxTokenAge: '60s',
      })
      if (p.htm !== 'GET' || p.htu !== `${rsUrl}/api/orders`) return refuse('invalid_dpop_proof', 'htm_htu')
      if (p.ath !== createHash('sha256').update(token).digest('base64url')) return refuse('invalid_dpop_proof', 'ath')
      const cnf = at.cnf as { jkt?: string } | undefined
      if (!cnf?.jkt || (await calculateJwkThumbprint(protectedHeader.jwk!)) !== cnf.jkt)
        return refuse('invalid_dpop_proof', 'jkt')
      if (p.nonce !== nonce) {
        rsSeen.nonceChallenges++
        return refuse('use_dpop_nonce', 'nonce', { 'dpop-nonce': nonce })
      }
      if (used.has(String(p.jti))) return refuse('invalid_dpop_proof', 'replay')
      used.add(String(p.jti))
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"orders":[]}')
    })().catch((err: unknown) => refuse('invalid_token', (err as { code?: string }).code ?? 'invalid'))
  })
  await new Promise<void>((resolve) => rs.listen(0, '127.0.0.1', resolve))
  rsUrl = `http://127.0.0.1:${(rs.address() as AddressInfo).port}`
}

function targets(): Targets {
  return {
    issuer,
    tokenEndpoint: `${issuer}/token`,
    authorizationEndpoint: `${issuer}/auth`,
    jwksUri: `${issuer}/jwks`,
    rsJwksUri: `${issuer}/jwks`,
    clients: [
      {
        clientId: 'svc',
        clientSecret: SECRET,
        public: false,
        grantTypes: ['client_credentials'],
        scopes: ['orders:read'],
        redirectUris: [],
      },
      {
        clientId: 'spa',
        public: true,
        grantTypes: ['authorization_code', 'refresh_token'],
        scopes: ['openid'],
        redirectUris: [REDIRECT],
      },
    ],
    users: [{ username: 'alice', password: 'wonderland' }],
    resourceServers: [
      {
        name: 'orders',
        baseUrl: rsUrl,
        apiUrl: `${rsUrl}/api/orders`,
        scope: 'orders:read',
        audience: AUDIENCE,
        external: true,
      },
    ],
    control: {},
    feeds: [],
  }
}

beforeAll(async () => {
  await startProvider()
  await startRs()
})
afterAll(async () => {
  for (const s of [rs, op]) {
    s?.closeAllConnections()
    await new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()))
  }
})

function total(counters: CounterSeries[], name: string, tags: Record<string, string> = {}): number {
  return counters
    .filter((c) => c.name === name && Object.entries(tags).every(([k, v]) => c.tags[k] === v))
    .reduce((sum, c) => sum + c.values.reduce((a, v) => a + v.value, 0), 0)
}

function holds(slo: typeof m1, result: LoadResult): { value: number | null; holds: boolean } {
  const threshold = parseThreshold(slo.objective)
  const v = slo.indicator({ load: result } as RunRecord, [0, 1e9], undefined, threshold)
  return { value: v.value, holds: v.value !== null && evaluate(threshold, v.value) }
}

describe('DPoP against node-oidc-provider 8 (nonces required)', () => {
  it('gets a DPoP-bound client_credentials token after one use_dpop_nonce retry, cnf.jkt the session key', async () => {
    const session = DpopSession.generate()
    let retries = 0
    const t = dpopTransport(fetchTransport(), session, { onNonceRetry: () => retries++ })
    const r = await postForm(
      t,
      `${issuer}/token`,
      { grant_type: 'client_credentials', scope: 'orders:read' },
      {
        clientId: 'svc',
        clientSecret: SECRET,
      },
    )
    expect(r.json?.error_description ?? r.json?.error, `status ${r.status}`).toBeUndefined()
    expect(r.json?.token_type).toBe('DPoP')
    expect(retries).toBe(1)
    const { payload } = await jwtVerify(String(r.json?.access_token), createLocalJWKSet(jwks), { audience: AUDIENCE })
    expect(payload.cnf).toEqual({ jkt: session.jkt })
    // the nonce is cached: the next token request needs no retry
    const again = await postForm(
      t,
      `${issuer}/token`,
      { grant_type: 'client_credentials' },
      {
        clientId: 'svc',
        clientSecret: SECRET,
      },
    )
    expect(again.status).toBe(200)
    expect(retries).toBe(1)
  })

  it('runs the embedded engine with dpop: true: client-credentials, api-call, auth-code and refresh hold M1 and M3, nonce retries counted', async () => {
    const f = (x: Partial<FlowConfig>): FlowConfig =>
      ({
        executor: 'constant-arrival-rate',
        rate: 4,
        startRate: 0,
        timeUnit: '1s',
        preAllocatedVUs: 2,
        startTime: '0s',
        clients: 2,
        timeout: '5s',
        dpop: true,
        dpopAlg: 'ES256',
        ...x,
      }) as FlowConfig
    const plan: LoadConfig = {
      duration: '2s',
      warmup: '0s',
      gracefulStop: '3s',
      flows: [
        f({ flow: 'client-credentials' }),
        f({ flow: 'api-call', target: 'orders', rate: 8 }),
        f({ flow: 'refresh', rate: 2 }),
        f({ flow: 'auth-code', executor: 'constant-vus', vus: 1, rate: undefined }),
      ],
    }
    const challengesBefore = rsSeen.nonceChallenges
    const r = await engines.embedded!.run(plan, targets(), { signal: new AbortController().signal, seed: 7 })
    expect(r.aborted).toBe(false)
    expect(r.series.filter((s) => s.failed).map((s) => s.tags)).toEqual([])
    const tokens = r.series.filter((s) => s.metric === 'oauth_token')
    expect(new Set(tokens.map((s) => s.tags.grant))).toEqual(
      new Set(['client_credentials', 'authorization_code', 'refresh_token']),
    )
    expect(holds(m1, r).holds).toBe(true)
    const m3v = holds(m3, r)
    expect(m3v.value).toBe(0)
    expect(m3v.holds).toBe(true)
    // node-oidc-provider demanded a nonce from every fresh key (the VUs of client-credentials and auth-code)
    expect(
      total(r.counters, 'dpop_nonce_retries', { endpoint: 'token', grant: 'client_credentials' }),
    ).toBeGreaterThanOrEqual(1)
    expect(
      total(r.counters, 'dpop_nonce_retries', { endpoint: 'token', grant: 'authorization_code' }),
    ).toBeGreaterThanOrEqual(1)
    // the RS demanded its own nonce from each api-call virtual client once
    expect(total(r.counters, 'dpop_nonce_retries', { endpoint: 'api' })).toBe(2)
    expect(rsSeen.nonceChallenges - challengesBefore).toBe(2)
    expect(total(r.counters, 'dpop_proof_rejections')).toBe(0)
    expect(rsSeen.refused.filter((x) => x !== 'nonce')).toEqual([])
    expect(rsSeen.bearer).toBe(0)
  })
})
