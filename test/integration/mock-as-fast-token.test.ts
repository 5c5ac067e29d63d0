/**
 * The token fast path (mock-as/fast-token.ts) answers ordinary POST /token
 * requests before fastify. These tests send the same requests over real HTTP
 * to an AS with the fast path and to one without it, and require the same
 * answers: status, headers, error codes, body fields and metrics.
 */
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildAuthorizationServer } from '../../mock-as/app.ts'
import { basic, decodeJwt } from '../../mock-as/testing.ts'

const FORM = 'application/x-www-form-urlencoded'
const SVC = basic('svc', 'svc-secret')

interface Case {
  name: string
  body: string | (() => ReadableStream<Uint8Array>)
  headers?: Record<string, string>
  path?: string
  /** Whether the fast path should answer it (false: left to fastify). */
  fast: boolean
}

const cases: Case[] = [
  {
    name: 'client_credentials with Basic',
    body: 'grant_type=client_credentials&scope=orders:read',
    headers: { authorization: SVC },
    fast: true,
  },
  {
    name: 'client_credentials with client_secret_post',
    body: 'grant_type=client_credentials&client_id=svc&client_secret=svc-secret',
    fast: true,
  },
  {
    name: 'opaque-token client',
    body: 'grant_type=client_credentials',
    headers: { authorization: basic('svc-opaque', 'svc-opaque-secret') },
    fast: true,
  },
  {
    name: 'RFC 8707 resource',
    body: `grant_type=client_credentials&resource=${encodeURIComponent('https://other.example')}`,
    headers: { authorization: SVC },
    fast: true,
  },
  {
    name: 'resource with a fragment',
    body: `grant_type=client_credentials&resource=${encodeURIComponent('https://x.example/#f')}`,
    headers: { authorization: SVC },
    fast: true,
  },
  {
    name: 'wrong secret',
    body: 'grant_type=client_credentials',
    headers: { authorization: basic('svc', 'nope') },
    fast: true,
  },
  { name: 'no client authentication', body: 'grant_type=client_credentials', fast: true },
  {
    name: 'colon-less Basic',
    body: 'grant_type=client_credentials',
    headers: { authorization: `Basic ${Buffer.from('svc').toString('base64')}` },
    fast: true,
  },
  {
    name: 'two authentication methods',
    body: 'grant_type=client_credentials&client_secret=svc-secret',
    headers: { authorization: SVC },
    fast: true,
  },
  { name: 'missing grant_type', body: 'scope=orders:read', headers: { authorization: SVC }, fast: true },
  {
    name: 'unsupported grant_type',
    body: 'grant_type=password&username=a&password=b',
    headers: { authorization: SVC },
    fast: true,
  },
  {
    name: 'grant the client may not use',
    body: 'grant_type=refresh_token&refresh_token=x',
    headers: { authorization: SVC },
    fast: true,
  },
  {
    name: 'repeated parameter',
    body: 'grant_type=client_credentials&scope=orders:read&scope=orders:write',
    headers: { authorization: SVC },
    fast: true,
  },
  {
    name: 'bad percent-encoding',
    body: 'grant_type=client_credentials&scope=%E0%A4%A',
    headers: { authorization: SVC },
    fast: true,
  },
  {
    name: 'scope not allowed',
    body: 'grant_type=client_credentials&scope=admin',
    headers: { authorization: SVC },
    fast: true,
  },
  { name: 'public client on client_credentials', body: 'grant_type=client_credentials&client_id=spa', fast: true },
  {
    name: 'unknown authorization code',
    body: 'grant_type=authorization_code&code=nope&redirect_uri=http%3A%2F%2F127.0.0.1%3A5173%2Fcb&client_id=spa&code_verifier=x',
    fast: true,
  },
  {
    name: 'malformed Basic credentials',
    body: 'grant_type=client_credentials',
    headers: { authorization: 'Basic !!!not-base64!!!' },
    fast: true,
  },
  {
    name: 'unsupported Authorization scheme',
    body: 'grant_type=client_credentials',
    headers: { authorization: 'Bearer abc' },
    fast: true,
  },
  {
    name: 'overlong parameter value',
    body: `grant_type=client_credentials&scope=${'a'.repeat(9000)}`,
    headers: { authorization: SVC },
    fast: true,
  },
  { name: 'binary garbage', body: '\u0000\u00ff\u00fe=%%%&&==', headers: { authorization: SVC }, fast: true },
  {
    name: 'content type with a charset',
    body: 'grant_type=client_credentials',
    headers: { authorization: SVC, 'content-type': `${FORM}; charset=UTF-8` },
    fast: true,
  },
  {
    name: 'JSON body (left to fastify)',
    body: '{"grant_type":"client_credentials"}',
    headers: { authorization: SVC, 'content-type': 'application/json' },
    fast: false,
  },
  {
    name: 'a query string (left to fastify)',
    body: 'grant_type=client_credentials',
    headers: { authorization: SVC },
    path: '/token?x=1',
    fast: false,
  },
  {
    name: 'body over 64 KiB (left to fastify)',
    body: `grant_type=client_credentials&pad=${'a'.repeat(70_000)}`,
    headers: { authorization: SVC },
    fast: false,
  },
  {
    name: 'chunked body (left to fastify)',
    body: () =>
      new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode('grant_type=client_'))
          c.enqueue(new TextEncoder().encode('credentials'))
          c.close()
        },
      }),
    headers: { authorization: SVC },
    fast: false,
  },
]

interface Answer {
  status: number
  headers: Record<string, string | null>
  error?: unknown
  keys: string[]
  body: Record<string, unknown>
}

async function send(base: string, c: Case): Promise<Answer> {
  const body = typeof c.body === 'function' ? c.body() : c.body
  const res = await fetch(`${base}${c.path ?? '/token'}`, {
    method: 'POST',
    headers: { 'content-type': FORM, ...c.headers },
    body,
    ...(typeof c.body === 'function' ? { duplex: 'half' } : {}),
  } as RequestInit)
  const text = await res.text()
  const parsed = JSON.parse(text) as Record<string, unknown>
  const pick = ['content-type', 'cache-control', 'pragma', 'www-authenticate', 'retry-after']
  return {
    status: res.status,
    headers: Object.fromEntries(pick.map((h) => [h, res.headers.get(h)])),
    error: parsed.error,
    keys: Object.keys(parsed).sort(),
    body: parsed,
  }
}

/** The mock_as_requests_total lines for /token, and the /token duration count. */
async function tokenMetrics(base: string): Promise<string[]> {
  const text = await (await fetch(`${base}/metrics`)).text()
  return text
    .split('\n')
    .filter(
      (l) =>
        (l.startsWith('mock_as_requests_total{') || l.startsWith('mock_as_request_duration_seconds_count{')) &&
        l.includes('endpoint="/token"'),
    )
    .sort()
}

describe('mock-as token fast path', () => {
  let fast: FastifyInstance
  let slow: FastifyInstance
  let fastUrl: string
  let slowUrl: string
  beforeAll(async () => {
    fast = await buildAuthorizationServer({ logger: false, adminToken: 'admin' })
    slow = await buildAuthorizationServer({ logger: false, adminToken: 'admin', tokenFastPath: false })
    fastUrl = await fast.listen({ port: 0, host: '127.0.0.1' })
    slowUrl = await slow.listen({ port: 0, host: '127.0.0.1' })
  })
  afterAll(async () => {
    await Promise.all([fast.close(), slow.close()])
  })

  it('answers every request as the fastify route does, and counts them the same', async () => {
    for (const c of cases) {
      const before = fast.oauthContext.fastToken.answered
      const [a, b] = [await send(fastUrl, c), await send(slowUrl, c)]
      expect({ case: c.name, status: a.status, headers: a.headers, error: a.error, keys: a.keys }).toEqual({
        case: c.name,
        status: b.status,
        headers: b.headers,
        error: b.error,
        keys: b.keys,
      })
      expect({ case: c.name, fast: fast.oauthContext.fastToken.answered - before }).toEqual({
        case: c.name,
        fast: c.fast ? 1 : 0,
      })
      if (a.error) expect(typeof a.body.error_description).toBe('string')
    }
    expect(slow.oauthContext.fastToken.answered).toBe(0)
    expect(await tokenMetrics(fastUrl)).toEqual(await tokenMetrics(slowUrl))
    expect((await tokenMetrics(fastUrl)).some((l) => l.includes('grant_type="client_credentials",status="200"'))).toBe(
      true,
    )
  })

  it('issues the same token claims (RFC 9068) on both paths', async () => {
    const [a, b] = [await send(fastUrl, cases[3]!), await send(slowUrl, cases[3]!)]
    const ta = decodeJwt(a.body.access_token as string)
    const tb = decodeJwt(b.body.access_token as string)
    expect(Object.keys(ta.header).sort()).toEqual(Object.keys(tb.header).sort())
    expect(Object.keys(ta.payload).sort()).toEqual(Object.keys(tb.payload).sort())
    expect(ta.payload.aud).toBe('https://other.example')
    expect(ta.payload.iss).toBe(fastUrl)
    expect(a.body.scope).toBe(b.body.scope)
  })

  it('leaves the request to fastify while a token-endpoint chaos knob is set', async () => {
    const put = (body: unknown) =>
      fetch(`${fastUrl}/_chaos/token-errors`, {
        method: 'PUT',
        headers: { authorization: 'Bearer admin', 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    expect((await put({ status: 503, ratio: 1 })).status).toBe(200)
    const before = fast.oauthContext.fastToken.answered
    const r = await send(fastUrl, cases[0]!)
    expect([r.status, r.error, r.headers['retry-after']]).toEqual([503, 'temporarily_unavailable', '1'])
    expect(fast.oauthContext.fastToken.answered).toBe(before)
    expect((await put({ status: 503, ratio: 0 })).status).toBe(200)
    expect((await send(fastUrl, cases[0]!)).status).toBe(200)
    expect(fast.oauthContext.fastToken.answered).toBe(before + 1)
  })

  it('keeps the connection usable after an error answer (keep-alive, one socket)', async () => {
    const { Pool } = await import('undici')
    const pool = new Pool(fastUrl, { connections: 1 })
    try {
      const statuses: number[] = []
      for (const body of [
        'grant_type=client_credentials&scope=admin',
        'grant_type=client_credentials',
        'grant_type=nope',
      ]) {
        const res = await pool.request({
          path: '/token',
          method: 'POST',
          headers: { authorization: SVC, 'content-type': FORM },
          body,
        })
        await res.body.dump()
        statuses.push(res.statusCode)
      }
      expect(statuses).toEqual([400, 200, 400])
    } finally {
      await pool.close()
    }
  })

  it.each([true, false])(
    'closes the socket of a request answered while the server closes, so close() does not wait for keep-alive (fast path: %s)',
    async (fastPath) => {
      const { connect } = await import('node:net')
      const app = await buildAuthorizationServer({ logger: false, tokenFastPath: fastPath })
      const url = new URL(await app.listen({ port: 0, host: '127.0.0.1' }))
      const body = 'grant_type=client_credentials'
      const socket = connect(Number(url.port), '127.0.0.1')
      let response = ''
      socket.on('data', (d) => {
        response += d.toString('latin1')
      })
      await new Promise((r) => socket.once('connect', r))
      // the head goes first: the fast path takes the request and waits for its body
      socket.write(
        `POST /token HTTP/1.1\r\nhost: ${url.host}\r\nconnection: keep-alive\r\nauthorization: ${SVC}\r\ncontent-type: ${FORM}\r\ncontent-length: ${body.length}\r\n\r\n`,
      )
      await new Promise((r) => setTimeout(r, 50))
      const before = app.oauthContext.fastToken.answered
      const closing = app.close()
      await new Promise((r) => setTimeout(r, 50))
      const ended = new Promise((r) => socket.once('close', r))
      socket.write(body)
      const t0 = Date.now()
      // without Connection: close the server stays open for its 72 s keep-alive timeout
      await Promise.race([Promise.all([closing, ended]), new Promise((r) => setTimeout(r, 5000))])
      expect(Date.now() - t0).toBeLessThan(5000)
      expect(app.oauthContext.fastToken.answered).toBe(before + (fastPath ? 1 : 0))
      expect(response).toMatch(/^HTTP\/1\.1 200 /)
      expect(response.toLowerCase()).toContain('connection: close')
      socket.destroy()
    },
  )
})
