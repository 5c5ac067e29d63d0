/**
 * The attacker's key URL on loopback: a key set (`/jwks.json`) and a
 * certificate (`/cert.pem`) the jku and x5u attacks point at, with a count
 * of every request it answers. It listens on 127.0.0.1 only; an RS that
 * fetches it shows the finding without any traffic leaving the machine.
 */
import { createServer } from 'node:http'
import { exportJWK, generateKeyPair } from 'jose'
import { ATTACKER_CERT_PEM } from './attacker-cert.ts'
import type { AttackerKeys } from './types.ts'

export interface AttackerServer extends AttackerKeys {
  close(): Promise<void>
}

/**
 * Start the attacker's key server on an ephemeral loopback port.
 *
 * @example
 * ```ts
 * await using attacker = await startAttackerServer()
 * attacker.jwksUrl // http://127.0.0.1:PORT/jwks.json
 * ```
 */
export async function startAttackerServer(): Promise<AttackerServer & AsyncDisposable> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  const kid = 'gameday-attacker'
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }
  const jwks = JSON.stringify({ keys: [publicJwk] })
  let fetches = 0
  const server = createServer((req, res) => {
    fetches += 1
    const path = (req.url ?? '/').split('?')[0]
    if (path === '/jwks.json') res.writeHead(200, { 'content-type': 'application/json' }).end(jwks)
    else if (path === '/cert.pem')
      res.writeHead(200, { 'content-type': 'application/pem-certificate-chain' }).end(ATTACKER_CERT_PEM)
    else res.writeHead(404).end()
  })
  server.keepAliveTimeout = 1000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const addr = server.address()
  const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  return {
    jwksUrl: `${base}/jwks.json`,
    x5uUrl: `${base}/cert.pem`,
    privateKey,
    publicJwk,
    kid,
    fetches: () => fetches,
    close,
    [Symbol.asyncDispose]: close,
  }
}
