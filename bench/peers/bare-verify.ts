/**
 * The benchmark peer of the reference RS: a plain fastify route that does
 * nothing but jose's `jwtVerify` against a key set fetched once at start
 * (a warm local JWKS), so `npm run bench` can state the RS's overhead over
 * the bare verification it cannot avoid (target: under 25%).
 */
import Fastify from 'fastify'
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose'

export interface BareVerify {
  url: string
  close(): Promise<void>
}

/**
 * Start the bare-verify route on 127.0.0.1 (port 0).
 *
 * @example
 * ```ts
 * const bare = await startBareVerify({ jwksUri: `${as.url}/jwks`, issuer: as.url, audience: 'https://api.example' })
 * // autocannon -H "authorization=Bearer $TOKEN" ${bare.url}/api/orders
 * await bare.close()
 * ```
 */
export async function startBareVerify(opts: {
  jwksUri: string
  issuer: string
  audience: string
}): Promise<BareVerify> {
  const res = await fetch(opts.jwksUri, { signal: AbortSignal.timeout(5000) })
  if (!res.ok) throw new Error(`bare-verify: jwks answered ${res.status}`)
  const keys = createLocalJWKSet((await res.json()) as JSONWebKeySet)
  const app = Fastify({ logger: false })
  app.get('/api/orders', async (request, reply) => {
    const h = request.headers.authorization
    if (!h?.startsWith('Bearer ')) return reply.code(401).send({ error: 'unauthorized' })
    try {
      const { payload } = await jwtVerify(h.slice(7), keys, { issuer: opts.issuer, audience: opts.audience })
      return { orders: [], sub: payload.sub ?? null }
    } catch {
      return reply.code(401).send({ error: 'invalid_token' })
    }
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const addr = app.server.address()
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`
  return { url, close: () => app.close() }
}
