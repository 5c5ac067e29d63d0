/**
 * Benchmark peer: oauth2-mock-server 8.x, the popular test double. It signs
 * an ES256 JWT for any client_credentials request (no client registry, no
 * validation), so it bounds what "just signing" costs in a Node mock.
 */
import { OAuth2Server } from 'oauth2-mock-server'
import type { BenchPeer } from './oidc-provider.ts'

/**
 * Start oauth2-mock-server on 127.0.0.1 (a free port) with one ES256 key.
 *
 * @example
 * ```ts
 * const mock = await startOauth2MockServer()
 * await mock.close()
 * ```
 */
export async function startOauth2MockServer(): Promise<BenchPeer> {
  const server = new OAuth2Server()
  await server.issuer.keys.generate('ES256')
  await server.start(0, '127.0.0.1')
  const addr = server.address()
  // it names itself http://localhost:<port>; the harness speaks to IP literals only
  const url = `http://127.0.0.1:${addr.port}`
  server.issuer.url = url
  return {
    url,
    tokenEndpoint: `${url}/token`,
    clientId: 'bench',
    clientSecret: 'bench-secret',
    close: () => server.stop(),
  }
}
