import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DpopError, DpopNonceSource, DpopReplayCache, verifyDpopProof } from './dpop.ts'
import { DpopSession, dpopErrorOf, dpopTransport, nonceChallenge } from './dpop-client.ts'
import { fetchTransport } from './transport.ts'

let server: Server
let base: string
const nonces = new DpopNonceSource({ lifetimeMs: 3_600_000 })
const replayCache = new DpopReplayCache()
let requests = 0

beforeAll(async () => {
  // a token endpoint that wants a nonce (§8) and checks every proof
  server = createServer((req, res) => {
    requests++
    try {
      verifyDpopProof(req.headers.dpop, {
        htm: req.method ?? 'GET',
        htu: `${base}${req.url}`,
        nonce: nonces,
        iatWindow: { past: 60, future: 10 },
        replayCache,
      })
      res.writeHead(200, { 'content-type': 'application/json', 'dpop-nonce': nonces.current() })
      res.end('{"access_token":"at","token_type":"DPoP"}')
    } catch (err) {
      const e = err as DpopError
      res.writeHead(400, { 'content-type': 'application/json', 'dpop-nonce': nonces.current() })
      res.end(JSON.stringify({ error: e.oauthError, error_description: e.message }))
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

describe('DpopSession', () => {
  it('retries once with the nonce of a use_dpop_nonce answer, then reuses the cached nonce', async () => {
    const session = DpopSession.generate()
    const retries: string[] = []
    const t = dpopTransport(fetchTransport(), session, { onNonceRetry: (u) => retries.push(u) })
    requests = 0
    const r1 = await t({ url: `${base}/token`, method: 'POST', headers: {} })
    expect(r1.status).toBe(200)
    expect(requests).toBe(2)
    expect(retries).toEqual([`${base}/token`])
    expect(session.nonceFor(`${base}/other?x=1`)).toBe(nonces.current())
    const r2 = await t({ url: `${base}/token`, method: 'POST', headers: {} })
    expect(r2.status).toBe(200)
    expect(requests).toBe(3)
    expect(retries).toHaveLength(1)
  })

  it('keeps one nonce per origin', () => {
    const s = DpopSession.generate('EdDSA')
    s.observe('http://127.0.0.1:1/token', { 'dpop-nonce': 'a' })
    s.observe('http://127.0.0.1:2/api', { 'dpop-nonce': 'b' })
    expect(s.nonceFor('http://127.0.0.1:1/x')).toBe('a')
    expect(s.nonceFor('http://127.0.0.1:2/x')).toBe('b')
    expect(s.observe('http://127.0.0.1:2/y', { 'dpop-nonce': 'b' })).toBe(false)
  })

  it('binds a resource proof to the access token with ath and the key by its thumbprint', () => {
    const s = DpopSession.generate()
    const proof = s.proof('GET', 'http://127.0.0.1:9/api?q=1', 'tok')
    const r = verifyDpopProof(proof, {
      htm: 'GET',
      htu: 'http://127.0.0.1:9/api',
      accessToken: 'tok',
      expectedJkt: s.jkt,
      iatWindow: { past: 60, future: 10 },
      replayCache: new DpopReplayCache(),
    })
    expect(r.jkt).toBe(s.jkt)
    expect(() =>
      verifyDpopProof(s.proof('GET', 'http://127.0.0.1:9/api', 'other'), {
        htm: 'GET',
        htu: 'http://127.0.0.1:9/api',
        accessToken: 'tok',
        iatWindow: { past: 60, future: 10 },
        replayCache: new DpopReplayCache(),
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_DPOP_ATH' }))
  })

  it('dates its proofs by its own clock, so a client 30 s behind signs proofs a 10 s window refuses', () => {
    let offsetMs = -30_000
    const s = DpopSession.generate('ES256', () => Date.now() + offsetMs)
    const verify = (window: { past: number; future: number }) =>
      verifyDpopProof(s.proof('GET', 'http://127.0.0.1:1/api'), {
        htm: 'GET',
        htu: 'http://127.0.0.1:1/api',
        iatWindow: window,
        replayCache: new DpopReplayCache(),
      })
    expect(Math.floor(Date.now() / 1000) - verify({ past: 60, future: 10 }).iat).toBeGreaterThanOrEqual(29)
    expect(() => verify({ past: 10, future: 10 })).toThrow(expect.objectContaining({ code: 'ERR_DPOP_IAT' }))
    offsetMs = 0
    expect(() => verify({ past: 10, future: 10 })).not.toThrow()
  })
})

describe('nonceChallenge', () => {
  it('reads an RS challenge (§9) and an AS error (§8), and nothing without a DPoP-Nonce', () => {
    const rs = { 'www-authenticate': 'DPoP error="use_dpop_nonce", error_description="x"', 'dpop-nonce': 'n1' }
    expect(nonceChallenge(401, rs, '')).toBe('n1')
    expect(nonceChallenge(400, { 'dpop-nonce': 'n2' }, '{"error":"use_dpop_nonce"}')).toBe('n2')
    expect(nonceChallenge(400, {}, '{"error":"use_dpop_nonce"}')).toBeUndefined()
    expect(nonceChallenge(401, { 'www-authenticate': 'DPoP error="invalid_token"', 'dpop-nonce': 'n' }, '')).toBe(
      undefined,
    )
  })

  it('tells a rejected proof apart', () => {
    expect(dpopErrorOf(401, { 'www-authenticate': 'Bearer, DPoP error="invalid_dpop_proof"' }, '')).toBe(
      'invalid_dpop_proof',
    )
    expect(dpopErrorOf(400, {}, '{"error":"invalid_dpop_proof"}')).toBe('invalid_dpop_proof')
    expect(dpopErrorOf(200, {}, '{"error":"invalid_dpop_proof"}')).toBeUndefined()
  })
})
