/**
 * Benchmark peer: node-oidc-provider 8.x (panva), the certified OpenID
 * provider, configured for client_credentials with ES256 JWT access tokens
 * through resource indicators (RFC 8707) — the same work mock-as does on its
 * hot path, so `npm run bench` can compare the two on one machine.
 */
import { randomBytes } from 'node:crypto'
import { type Server, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair } from 'jose'

/** The slice of oidc-provider's API used here (the package ships no types). */
interface ProviderLike {
  on(event: string, fn: (...args: unknown[]) => void): void
  callback(): (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void
}
type ProviderCtor = new (issuer: string, config: Record<string, unknown>) => ProviderLike

/** A running token-issuing peer. */
export interface BenchPeer {
  url: string
  tokenEndpoint: string
  clientId: string
  clientSecret: string
  close(): Promise<void>
}

export const PEER_AUDIENCE = 'https://api.example'

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))
  })
}

/**
 * Start node-oidc-provider on 127.0.0.1 (a free port); `dpop` turns on
 * `features.dPoP` (a `DPoP` header then gets a DPoP-bound token).
 *
 * @example
 * ```ts
 * const op = await startOidcProvider()
 * // POST op.tokenEndpoint with Basic clientId:clientSecret, grant_type=client_credentials
 * await op.close()
 * ```
 */
export async function startOidcProvider(opts: { dpop?: boolean } = {}): Promise<BenchPeer> {
  const server = createServer()
  const url = await listen(server)
  const { privateKey } = await generateKeyPair('ES256', { extractable: true })
  const jwk = { ...(await exportJWK(privateKey)), kid: 'bench-es256', alg: 'ES256', use: 'sig' }
  const clientId = 'bench'
  const clientSecret = randomBytes(24).toString('base64url')
  const { default: Provider } = (await import('oidc-provider' as string)) as { default: ProviderCtor }
  const provider = new Provider(url, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'ES256',
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    scopes: ['orders:read', 'orders:write'],
    ttl: { ClientCredentials: 300 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // DPoP (RFC 9449) for the DPoP token-endpoint entry; no nonces, as mock-as by default
      dPoP: { enabled: opts.dpop === true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => PEER_AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'orders:read orders:write',
          audience: PEER_AUDIENCE,
          accessTokenTTL: 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
  })
  // keep the benchmark output clean: oidc-provider reports dev-setting warnings on 'server_error' only
  provider.on('server_error', () => {})
  server.on('request', provider.callback())
  return {
    url,
    tokenEndpoint: `${url}/token`,
    clientId,
    clientSecret,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
