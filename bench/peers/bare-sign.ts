/**
 * The practical ceiling of a token endpoint on this machine: a minimal
 * fastify route that parses the form, checks a Basic secret and signs one
 * ES256 JWT — nothing else. Two variants: synchronous `node:crypto` signing
 * and jose's asynchronous WebCrypto signing; the faster is the ceiling.
 */
import { createPrivateKey, generateKeyPairSync, randomUUID, sign, timingSafeEqual } from 'node:crypto'
import formbody from '@fastify/formbody'
import fastify from 'fastify'
import { importPKCS8, SignJWT } from 'jose'
import { clientSecretBasic } from '../../src/oauth/client-auth.ts'

export interface BareSign {
  url: string
  tokenEndpoint: string
  clientId: string
  clientSecret: string
  close(): Promise<void>
}

const b64u = (b: Buffer | string) => Buffer.from(b).toString('base64url')

export async function startBareSign(mode: 'sync' | 'jose'): Promise<BareSign> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  const keyObject = createPrivateKey(pem)
  const joseKey = await importPKCS8(pem, 'ES256')
  const header = b64u(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' }))
  const expected = Buffer.from(clientSecretBasic('svc', 'svc-secret'))
  const app = fastify({ logger: false })
  await app.register(formbody)
  app.post('/token', async (req, reply) => {
    const auth = Buffer.from(req.headers.authorization ?? '')
    if (auth.length !== expected.length || !timingSafeEqual(auth, expected))
      return reply.code(401).send({ error: 'invalid_client' })
    const body = req.body as Record<string, string>
    if (body.grant_type !== 'client_credentials') return reply.code(400).send({ error: 'unsupported_grant_type' })
    const now = Math.floor(Date.now() / 1000)
    const claims = {
      iss: 'http://bench',
      sub: 'svc',
      aud: 'https://api.example',
      iat: now,
      nbf: now,
      exp: now + 300,
      jti: randomUUID(),
      client_id: 'svc',
      scope: body.scope ?? '',
    }
    let token: string
    if (mode === 'sync') {
      const input = `${header}.${b64u(JSON.stringify(claims))}`
      token = `${input}.${sign('sha256', Buffer.from(input), { key: keyObject, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`
    } else {
      token = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' }).sign(joseKey)
    }
    return reply
      .header('cache-control', 'no-store')
      .send({ access_token: token, token_type: 'Bearer', expires_in: 300 })
  })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  return { url, tokenEndpoint: `${url}/token`, clientId: 'svc', clientSecret: 'svc-secret', close: () => app.close() }
}
