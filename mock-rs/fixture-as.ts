/**
 * A deliberately small authorization server for mock-rs tests: metadata
 * (RFC 8414), a JWKS whose published keys the test controls (so a
 * sign-before-publish rotation is one call), an RFC 7662 introspection
 * endpoint that can be told to answer 429 or to forget tokens (revocation),
 * and a minting helper. It is not mock-as: it exists so the resource-server
 * tests never depend on another component being finished.
 */
import { randomBytes } from 'node:crypto'
import Fastify from 'fastify'
import formbody from '@fastify/formbody'
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import { clientSecretBasic } from '../src/oauth/client-auth.ts'

interface FixtureKey {
  kid: string
  alg: string
  privateKey: CryptoKey
  jwk: JWK
}

export interface MintOptions {
  kid?: string
  typ?: string | null
  /** Seconds relative to `now()` of the fixture. */
  iatOffset?: number
  expiresIn?: number
  nbfOffset?: number
  claims?: Record<string, unknown>
  omitExp?: boolean
}

export interface IntrospectionFailure {
  status: number
  retryAfter?: string
}

export interface FixtureAs {
  issuer: string
  jwksUri: string
  introspectionEndpoint: string
  client: { clientId: string; clientSecret: string }
  /** Calls counted per endpoint. */
  counts: { jwks: number; introspection: number }
  signingKid: string
  /** Add a new key; signing switches to it; published only when `publish` is true. */
  rotate(options?: { publish?: boolean; alg?: string }): Promise<string>
  publish(kid: string): void
  unpublish(kid: string): void
  /** Make the JWKS answer with a status (null: normal), optionally with Retry-After. */
  setJwksStatus(status: number | null, retryAfter?: string): void
  setIntrospectionFailure(failure: IntrospectionFailure | null): void
  setIntrospectionDelayMs(ms: number): void
  setJwksDelayMs(ms: number): void
  mint(options?: MintOptions): Promise<string>
  /** An opaque token known to the introspection endpoint. */
  mintOpaque(claims?: Record<string, unknown>): string
  revoke(token: string): void
  close(): Promise<void>
}

/** Start the fixture AS on 127.0.0.1 (port 0). `now` is the clock tokens are minted with. */
export async function startFixtureAs(
  options: { now?: () => number; audience?: string; scope?: string } = {},
): Promise<FixtureAs> {
  const now = options.now ?? Date.now
  const audience = options.audience ?? 'https://api.example'
  const scope = options.scope ?? 'orders:read orders:write'
  const keys = new Map<string, FixtureKey>()
  const published = new Set<string>()
  const opaque = new Map<string, Record<string, unknown>>()
  const jwtActive = new Map<string, Record<string, unknown>>()
  const revoked = new Set<string>()
  const client = { clientId: 'rs', clientSecret: 'rs-fixture-secret' }
  let jwksStatus: number | null = null
  let jwksRetryAfter: string | undefined
  let introspectionFailure: IntrospectionFailure | null = null
  let introspectionDelayMs = 0
  let jwksDelayMs = 0
  let n = 0

  async function addKey(alg = 'ES256'): Promise<FixtureKey> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
    const kid = `k${++n}-${randomBytes(3).toString('hex')}`
    const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }
    const key = { kid, alg, privateKey: privateKey as CryptoKey, jwk }
    keys.set(kid, key)
    return key
  }

  const first = await addKey()
  published.add(first.kid)

  const app = Fastify({ logger: false })
  await app.register(formbody)
  app.get('/.well-known/oauth-authorization-server', async () => ({
    issuer: fixture.issuer,
    jwks_uri: fixture.jwksUri,
    introspection_endpoint: fixture.introspectionEndpoint,
    token_endpoint: `${fixture.issuer}/token`,
  }))
  app.get('/jwks', async (_req, reply) => {
    fixture.counts.jwks += 1
    if (jwksDelayMs > 0) await new Promise((r) => setTimeout(r, jwksDelayMs))
    if (jwksStatus !== null) {
      if (jwksRetryAfter) reply.header('retry-after', jwksRetryAfter)
      return reply.code(jwksStatus).send({ error: 'unavailable' })
    }
    return { keys: [...published].map((kid) => keys.get(kid)!.jwk) }
  })
  app.post('/introspect', async (req, reply) => {
    fixture.counts.introspection += 1
    if (introspectionDelayMs > 0) await new Promise((r) => setTimeout(r, introspectionDelayMs))
    const expected = clientSecretBasic(client.clientId, client.clientSecret)
    if (req.headers.authorization !== expected) return reply.code(401).send({ error: 'invalid_client' })
    if (introspectionFailure) {
      if (introspectionFailure.retryAfter) reply.header('retry-after', introspectionFailure.retryAfter)
      return reply.code(introspectionFailure.status).send({ error: 'temporarily_unavailable' })
    }
    const token = (req.body as { token?: string }).token ?? ''
    const claims = opaque.get(token) ?? jwtActive.get(token)
    if (!claims || revoked.has(token) || (typeof claims.exp === 'number' && claims.exp * 1000 <= now()))
      return { active: false }
    return { active: true, ...claims }
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const addr = app.server.address()
  const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`

  const fixture: FixtureAs = {
    issuer: base,
    jwksUri: `${base}/jwks`,
    introspectionEndpoint: `${base}/introspect`,
    client,
    counts: { jwks: 0, introspection: 0 },
    signingKid: first.kid,
    async rotate(o = {}) {
      const key = await addKey(o.alg)
      if (o.publish) published.add(key.kid)
      fixture.signingKid = key.kid
      return key.kid
    },
    publish: (kid) => void published.add(kid),
    unpublish: (kid) => void published.delete(kid),
    setJwksStatus: (s, retryAfter) => {
      jwksStatus = s
      jwksRetryAfter = retryAfter
    },
    setIntrospectionFailure: (f) => void (introspectionFailure = f),
    setIntrospectionDelayMs: (ms) => void (introspectionDelayMs = ms),
    setJwksDelayMs: (ms) => void (jwksDelayMs = ms),
    async mint(o = {}) {
      const key = keys.get(o.kid ?? fixture.signingKid)!
      const iat = Math.floor(now() / 1000) + (o.iatOffset ?? 0)
      const payload: Record<string, unknown> = {
        iss: base,
        aud: audience,
        sub: 'svc',
        client_id: 'svc',
        scope,
        jti: randomBytes(8).toString('hex'),
        iat,
        ...(o.omitExp ? {} : { exp: iat + (o.expiresIn ?? 300) }),
        ...(o.nbfOffset !== undefined ? { nbf: Math.floor(now() / 1000) + o.nbfOffset } : {}),
        ...o.claims,
      }
      const header: Record<string, unknown> = { alg: key.alg, kid: key.kid }
      if (o.typ !== null) header.typ = o.typ ?? 'at+jwt'
      const token = await new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(key.privateKey)
      jwtActive.set(token, { ...payload, token_type: 'Bearer' })
      return token
    },
    mintOpaque(claims = {}) {
      const token = randomBytes(24).toString('base64url')
      const iat = Math.floor(now() / 1000)
      opaque.set(token, {
        iss: base,
        aud: audience,
        sub: 'svc',
        client_id: 'svc',
        scope,
        iat,
        exp: iat + 300,
        jti: randomBytes(8).toString('hex'),
        ...claims,
      })
      return token
    },
    revoke: (token) => void revoked.add(token),
    close: () => app.close(),
  }
  return fixture
}
