import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair } from 'jose'
import { afterEach, describe, expect, it } from 'vitest'
import { JwksCache } from './jwks-cache.ts'
import { Telemetry } from './telemetry.ts'

let server: Server | undefined
afterEach(async () => {
  await new Promise((r) => server?.close(r) ?? r(undefined))
  server = undefined
})

/** A free loopback port with nothing listening on it (yet). */
async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const { port } = s.address() as AddressInfo
  await new Promise((r) => s.close(r))
  return port
}

const cacheFor = (uri: string) =>
  new JwksCache({
    uri,
    maxAgeMs: 300_000,
    refetchOnUnknownKid: true,
    cooldownMs: 5000,
    timeoutMs: 1000,
    staleIfError: true,
    honourRetryAfter: true,
    now: Date.now,
    telemetry: new Telemetry(Date.now, () => ({ kids: 0, jwksAgeSeconds: null })),
  })

describe('JwksCache', () => {
  it('fetches on the first lookup when the JWKS was not up at start-up, instead of backing off', async () => {
    const port = await freePort()
    const cache = cacheFor(`http://127.0.0.1:${port}/jwks`)
    expect(await cache.warm()).toBe(false) // nothing listens yet: the AS is still booting
    const { publicKey } = await generateKeyPair('ES256')
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }
    server = createServer((_req, res) =>
      res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [jwk] })),
    )
    await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r))
    expect(await cache.getKey('k1', 'ES256')).toHaveProperty('key')
  })

  it('backs off for a second after a failed fetch while serving', async () => {
    const port = await freePort()
    const cache = cacheFor(`http://127.0.0.1:${port}/jwks`)
    await cache.warm()
    expect(await cache.getKey('k1', 'ES256')).toMatchObject({ reason: 'validator_unavailable' }) // fetched, failed
    const { publicKey } = await generateKeyPair('ES256')
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }
    server = createServer((_req, res) =>
      res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [jwk] })),
    )
    await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r))
    expect(await cache.getKey('k1', 'ES256')).toMatchObject({ reason: 'validator_unavailable', retryAfterSeconds: 1 })
  })
})
