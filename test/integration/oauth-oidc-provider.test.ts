/**
 * Interop: the harness's OAuth client (src/oauth) against node-oidc-provider
 * (panva's certified provider), an implementation nobody here wrote. The
 * login page is the deployment's own, as with any real AS: a form with
 * username and password whose POST finishes the interaction (login and
 * consent at once) through oidc-provider's interaction API. Authorization
 * endpoint, PKCE verification, RFC 9207 `iss`, client authentication and the
 * token endpoint are all oidc-provider's.
 */
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authCodeLogin as flowLogin } from '../../src/load/flows/login.ts'
import type { FlowContext } from '../../src/load/flows/types.ts'
import { createHttpClient } from '../../src/load/http.ts'
import {
  authCodeLogin,
  authorize,
  clientCredentials,
  exchangeCode,
  type OAuthEndpoints,
} from '../../src/oauth/client.ts'
import { clientSecretBasic } from '../../src/oauth/client-auth.ts'
import { pkcePair } from '../../src/oauth/pkce.ts'
import { fetchTransport } from '../../src/oauth/transport.ts'
import type { Targets } from '../../src/runtime/types.ts'

interface GrantLike {
  addOIDCScope(scope: string): void
  save(): Promise<string>
}
interface ProviderLike {
  on(event: string, fn: (...args: unknown[]) => void): void
  callback(): (req: IncomingMessage, res: ServerResponse) => void
  interactionDetails(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<{ uid: string; params: Record<string, string> }>
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    opts?: Record<string, unknown>,
  ): Promise<void>
  Grant: new (o: { accountId: string; clientId: string }) => GrantLike
}

/** Every character RFC 6749 §2.3.1 makes a client form-urlencode (VSCHAR only: oidc-provider refuses others in a secret). */
const SPECIAL_SECRET = "s3:cr+et %25!'()~*&=/?#-._"
const REDIRECT = 'http://127.0.0.1:7/cb'

let server: Server
let ep: OAuthEndpoints

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => (s += c))
    req.on('end', () => resolve(s))
    req.on('error', reject)
  })
}

beforeAll(async () => {
  server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const { privateKey } = await generateKeyPair('ES256', { extractable: true })
  const { default: Provider } = (await import('oidc-provider' as string)) as {
    default: new (issuer: string, config: Record<string, unknown>) => ProviderLike
  }
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'web',
        client_secret: SPECIAL_SECRET,
        redirect_uris: [REDIRECT],
        grant_types: ['authorization_code', 'client_credentials'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'ES256',
      },
      {
        client_id: 'poster',
        client_secret: SPECIAL_SECRET,
        redirect_uris: [],
        response_types: [],
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_post',
        id_token_signed_response_alg: 'ES256',
      },
    ],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    features: { devInteractions: { enabled: false }, clientCredentials: { enabled: true } },
  })
  provider.on('server_error', () => {})
  const op = provider.callback()
  server.on('request', (req, res) => {
    if (!req.url?.startsWith('/interaction/')) return op(req, res)
    void (async () => {
      const details = await provider.interactionDetails(req, res)
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        res.end(
          `<form method="post" action="/interaction/${details.uid}"><input name="username"><input type="password" name="password"><button>Sign in</button></form>`,
        )
        return
      }
      const form = new URLSearchParams(await readBody(req))
      if (form.get('password') !== 'wonderland' || form.get('decision') !== 'approve') {
        await provider.interactionFinished(req, res, { error: 'access_denied' }, { mergeWithLastSubmission: false })
        return
      }
      const accountId = form.get('username') ?? ''
      const grant = new provider.Grant({ accountId, clientId: details.params.client_id ?? '' })
      grant.addOIDCScope(details.params.scope ?? 'openid')
      const grantId = await grant.save()
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId }, consent: { grantId } },
        { mergeWithLastSubmission: false },
      )
    })().catch((err: unknown) => {
      res.writeHead(500).end(String(err))
    })
  })
  ep = { issuer, authorizationEndpoint: `${issuer}/auth`, tokenEndpoint: `${issuer}/token` }
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

const web = { clientId: 'web', clientSecret: SPECIAL_SECRET, redirectUri: REDIRECT }
const user = { username: 'alice', password: 'wonderland', scope: 'openid' }

describe('src/oauth against node-oidc-provider', () => {
  it('logs in with the authorization code flow and PKCE S256, client_secret_basic with a special-character secret', async () => {
    const r = await authCodeLogin(ep, web, user)
    expect(r.error_description ?? r.error, `status ${r.status}`).toBeUndefined()
    expect(r).toMatchObject({ ok: true, status: 200, token_type: 'Bearer' })
    expect(typeof r.access_token).toBe('string')
    expect(typeof r.id_token).toBe('string')
  })

  it('has its code refused when redeemed with another verifier', async () => {
    const pair = pkcePair()
    const front = await authorize(ep, web, { ...user, codeVerifier: pair.verifier })
    expect(front.code, JSON.stringify(front)).toBeDefined()
    expect(front.iss).toBe(ep.issuer)
    const r = await exchangeCode(ep, web, front.code!, pkcePair().verifier)
    expect(r).toMatchObject({ ok: false, status: 400, error: 'invalid_grant' })
  })

  it('gets access_denied back through the redirect when the user does not sign in', async () => {
    const front = await authorize(ep, web, { ...user, password: 'wrong', codeVerifier: pkcePair().verifier })
    expect(front).toMatchObject({ error: 'access_denied' })
    expect(front.code).toBeUndefined()
  })

  it('authenticates with client_secret_basic, where the unencoded secret is refused', async () => {
    const cc = await clientCredentials(ep, web)
    expect({ ok: cc.ok, status: cc.status, error: cc.error }).toEqual({ ok: true, status: 200, error: undefined })
    const raw = `Basic ${Buffer.from(`web:${SPECIAL_SECRET}`).toString('base64')}`
    expect(raw).not.toBe(clientSecretBasic('web', SPECIAL_SECRET))
    const res = await fetch(ep.tokenEndpoint, {
      method: 'POST',
      headers: { authorization: raw, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    })
    expect(res.status).toBe(401)
    expect(((await res.json()) as { error?: string }).error).toBe('invalid_client')
  })

  it('authenticates with client_secret_post', async () => {
    expect(
      await clientCredentials(ep, {
        clientId: 'poster',
        clientSecret: SPECIAL_SECRET,
        authMethod: 'client_secret_post',
      }),
    ).toMatchObject({ ok: true, status: 200 })
    expect(
      await clientCredentials(ep, { clientId: 'poster', clientSecret: 'wrong', authMethod: 'client_secret_post' }),
    ).toMatchObject({ ok: false, error: 'invalid_client' })
  })

  it('goes through an explicit fetch transport the same way', async () => {
    expect(await clientCredentials({ ...ep, transport: fetchTransport() }, web)).toMatchObject({ ok: true })
  })

  it("logs in through the load flow's login too: the engine's HTTP client, each front-channel request recorded", async () => {
    const http = createHttpClient({ connections: 2 })
    const records: Array<{ metric: string; tags: Record<string, unknown>; failed: boolean }> = []
    const secrets: string[] = []
    const now = () => performance.timeOrigin + performance.now()
    const ctx = {
      name: 'auth-code',
      config: { flow: 'auth-code' },
      targets: {
        issuer: ep.issuer,
        authorizationEndpoint: ep.authorizationEndpoint,
        tokenEndpoint: ep.tokenEndpoint,
      } as Targets,
      http,
      timeoutMs: 5000,
      now,
      record: (metric: string, tags: Record<string, unknown>, _i: number, _s: number, _e: number, failed: boolean) =>
        records.push({ metric, tags, failed }),
      registerSecret: (v: string) => secrets.push(v),
    } as unknown as FlowContext
    try {
      const client = {
        clientId: 'web',
        clientSecret: SPECIAL_SECRET,
        public: false,
        grantTypes: ['authorization_code'],
        scopes: ['openid'],
        redirectUris: [REDIRECT],
      }
      const r = await flowLogin(ctx, {
        client,
        user,
        scope: 'openid',
        intendedStart: now(),
        signal: new AbortController().signal,
        record: true,
      })
      expect(r.reason, JSON.stringify(records)).toBeUndefined()
      expect(r.ok).toBe(true)
      const steps = records.filter((x) => x.metric === 'oauth_authorize')
      expect(steps.length).toBeGreaterThanOrEqual(3)
      expect(steps.every((x) => !x.failed)).toBe(true)
      expect(records.filter((x) => x.metric === 'oauth_token')).toEqual([
        {
          metric: 'oauth_token',
          tags: expect.objectContaining({ grant: 'authorization_code', status: '200' }),
          failed: false,
        },
      ])
      expect(secrets).toContain(r.token!.accessToken)
    } finally {
      await http.close()
    }
  })
})
