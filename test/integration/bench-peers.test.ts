import { afterAll, describe, expect, it } from 'vitest'
import { startOauth2MockServer } from '../../bench/peers/oauth2-mock-server.ts'
import { type BenchPeer, PEER_AUDIENCE, startOidcProvider } from '../../bench/peers/oidc-provider.ts'

function decode(part: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>
}

describe.each([
  ['oidc-provider', startOidcProvider],
  ['oauth2-mock-server', startOauth2MockServer],
] as const)('bench peer %s', (_name, start) => {
  let peer: BenchPeer | undefined
  afterAll(async () => {
    await peer?.close()
  })

  it('issues an ES256 JWT access token for client_credentials on loopback', async () => {
    peer = await start()
    expect(peer.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const res = await fetch(peer.tokenEndpoint, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${peer.clientId}:${peer.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials&scope=orders:read',
    })
    const body = (await res.json()) as Record<string, unknown>
    expect(res.status, JSON.stringify(body)).toBe(200)
    const [h, p] = String(body.access_token).split('.')
    expect(decode(h!).alg).toBe('ES256')
    if (_name === 'oidc-provider') expect(decode(p!).aud).toBe(PEER_AUDIENCE)
  })
})
