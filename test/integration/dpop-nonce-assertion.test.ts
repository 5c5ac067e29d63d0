/**
 * A private_key_jwt client answering a DPoP nonce challenge (RFC 9449 §8)
 * resends its token request with a new client assertion: the AS accepts each
 * assertion's jti once (RFC 7523 §3), so resending the first one would be
 * refused as a replay. Against the real mock-as, listening, nonces required.
 */
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildAuthorizationServer } from '../../mock-as/app.ts'
import { DpopSession, dpopTransport } from '../../src/oauth/dpop-client.ts'
import { postForm } from '../../src/oauth/token-endpoint.ts'
import { fetchTransport } from '../../src/oauth/transport.ts'
import { generateClientKey, publicJwk } from '../../src/runtime/client-keys.ts'

describe('a private_key_jwt DPoP client at a token endpoint that requires nonces', () => {
  let app: FastifyInstance
  const key = generateClientKey()

  beforeAll(async () => {
    app = await buildAuthorizationServer({
      logger: false,
      adminToken: 'admin-token-for-tests',
      config: {
        dpop: { nonce: { required: true } },
        clients: [
          {
            clientId: 'pkj',
            tokenEndpointAuthMethod: 'private_key_jwt',
            jwks: { keys: [publicJwk(key)] },
            grantTypes: ['client_credentials'],
            scopes: ['orders:read'],
          },
        ],
      },
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
  })
  afterAll(() => app.close())

  it('retries once with the nonce and a fresh assertion, and gets a DPoP-bound token', async () => {
    const issuer = app.oauthContext.issuer
    const retries: string[] = []
    const seen: string[] = []
    const recording = fetchTransport()
    const transport = dpopTransport(
      async (req) => {
        seen.push(new URLSearchParams(req.body).get('client_assertion') ?? '')
        return recording(req)
      },
      DpopSession.generate('ES256'),
      { onNonceRetry: (url) => retries.push(url) },
    )
    const r = await postForm(
      transport,
      `${issuer}/token`,
      { grant_type: 'client_credentials', scope: 'orders:read' },
      { clientId: 'pkj', authMethod: 'private_key_jwt', privateKey: key, assertionAudience: issuer },
    )
    expect([r.status, r.json?.token_type, r.json?.error]).toEqual([200, 'DPoP', undefined])
    expect(retries).toHaveLength(1)
    expect(seen).toHaveLength(2)
    expect(seen[1]).not.toBe(seen[0])
  })
})
