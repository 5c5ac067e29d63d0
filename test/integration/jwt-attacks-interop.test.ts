/**
 * The attack catalog against resource servers nobody here wrote or tuned,
 * built on real npm libraries, each at the settings people copy from the
 * README: express-oauth2-jwt-bearer at its defaults (and with
 * requiredScopes), jose jwtVerify with issuer/audience/typ options and
 * with none, and an RS that decodes without verifying. The findings must
 * match what those libraries really do (read from their sources: comments
 * beside each row).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { Value } from '@sinclair/typebox/value'
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer'
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTVerifyOptions } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AttackFinding } from '../../src/attacks/judge.ts'
import { probes } from '../../src/probes/index.ts'
import type { ProbeOutcome } from '../../src/probes/types.ts'
import { startTestStack, type TestStack } from './helpers/stack.ts'

type Handler = (
  req: IncomingMessage,
  res: ServerResponse & { json(body: unknown): void },
  next: (err?: unknown) => void,
) => void
interface ExpressApp {
  get(path: string, ...handlers: Handler[]): void
  use(handler: (err: { status?: number }, req: IncomingMessage, res: ServerResponse, next: () => void) => void): void
  listen(port: number, host: string, cb: () => void): Server
}
const express = createRequire(import.meta.url)('express') as () => ExpressApp
const AUD = 'https://api.example'

/** A node:http RS whose whole validation is `check(token)`; 200 when it resolves, 401 when it throws. */
function plainRs(check: (token: string) => Promise<unknown>): Server {
  return createServer(async (req, res) => {
    const m = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')
    if (!m) return res.writeHead(401, { 'www-authenticate': 'Bearer' }).end()
    try {
      await check(m[1]!)
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"orders":[]}')
    } catch {
      res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end()
    }
  })
}

/** RS name → the attacks it accepts. */
const EXPECTED: Record<string, string[]> = {
  // strict: false by default: typ is not checked (validators.typ); no scope check without requiredScopes;
  // exp is required (validators.exp: typeof exp === 'number'); iss/aud checked; getToken also reads
  // ?access_token= (RFC 6750 §2.3), which FAPI 2.0 forbids an RS to accept
  'express-jwt-bearer': ['typ-confusion', 'scope-escalation', 'token-in-query'],
  'express-jwt-bearer-scoped': ['typ-confusion', 'token-in-query'],
  // issuer, audience, typ at+jwt and requiredClaims exp, plus a scope check: nothing gets through
  'jose-strict': [],
  // jwtVerify without options checks the signature, exp and nbf when present, nothing else
  'jose-bare': ['wrong-issuer', 'wrong-audience', 'missing-exp', 'typ-confusion', 'scope-escalation'],
  // decodeJwt only: every JWT-shaped token passes; opaque refresh tokens and the 100 kB header (431) do not
  'decode-only': [
    'alg-none',
    'hs256-key-confusion',
    'tampered-signature',
    'stripped-signature',
    'embedded-jwk',
    'jku-injection',
    'x5u-injection',
    'kid-injection',
    'unknown-kid-flood',
    'wrong-issuer',
    'wrong-audience',
    'expired',
    'not-yet-valid',
    'missing-exp',
    'typ-confusion',
    'scope-escalation',
  ],
}

describe('jwt-attacks against RSs built on real libraries', () => {
  let stack: TestStack
  const servers: Server[] = []
  let outcome: ProbeOutcome

  async function add(name: string, server: Server): Promise<void> {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    servers.push(server)
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    stack.targets.resourceServers.push({
      name,
      baseUrl: url,
      apiUrl: `${url}/api/orders`,
      scope: 'orders:read',
      audience: AUD,
      external: true,
    })
  }

  beforeAll(async () => {
    stack = await startTestStack({ rs: [] })
    const issuer = stack.targets.issuer
    const jwks = createRemoteJWKSet(new URL(stack.targets.jwksUri))
    for (const [name, scoped] of [
      ['express-jwt-bearer', false],
      ['express-jwt-bearer-scoped', true],
    ] as const) {
      const app = express()
      const handlers = [
        auth({ issuerBaseURL: issuer, audience: AUD }) as unknown as Handler,
        ...(scoped ? [requiredScopes('orders:read') as unknown as Handler] : []),
      ]
      app.get('/api/orders', ...handlers, (_req, res) => res.json({ orders: [] }))
      app.use((err, _req, res, _next) => {
        res.statusCode = err.status ?? 500
        res.end()
      })
      const server = await new Promise<Server>((resolve) => {
        const s = app.listen(0, '127.0.0.1', () => resolve(s))
      })
      servers.push(server)
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      stack.targets.resourceServers.push({
        name,
        baseUrl: url,
        apiUrl: `${url}/api/orders`,
        scope: 'orders:read',
        audience: AUD,
        external: true,
      })
    }
    const strict: JWTVerifyOptions = { issuer, audience: AUD, typ: 'at+jwt', requiredClaims: ['exp'] }
    await add(
      'jose-strict',
      plainRs(async (t) => {
        const { payload } = await jwtVerify(t, jwks, strict)
        if (
          !String(payload.scope ?? '')
            .split(' ')
            .includes('orders:read')
        )
          throw new Error('scope')
      }),
    )
    await add(
      'jose-bare',
      plainRs((t) => jwtVerify(t, jwks)),
    )
    await add(
      'decode-only',
      plainRs(async (t) => decodeJwt(t)),
    )
    const probe = probes['jwt-attacks']!
    outcome = await probe.run(
      stack.context(),
      Value.Default(probe.params, { timeout: '60s', floodCount: 5 }) as never,
      new AbortController().signal,
    )
  }, 90_000)
  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections()
      await new Promise((r) => s.close(r))
    }
    await stack?.stop()
  })

  it('attacks every RS (each accepts an honest mock-as token first)', () => {
    expect(outcome.error).toBeUndefined()
    expect(outcome.status).toBe('ok')
  })

  it.each(Object.entries(EXPECTED))('%s: the findings match what the library does', (rs, expected) => {
    const mine = (outcome.observations as unknown as AttackFinding[]).filter((f) => f.rs === rs)
    const accepted = mine.filter((f) => f.accepted || f.fetchedAttackerUrl).map((f) => f.attack)
    expect(accepted.sort()).toEqual([...expected].sort())
    expect(mine.filter((f) => f.fetchedAttackerUrl).map((f) => f.attack)).toEqual([])
  })
})
