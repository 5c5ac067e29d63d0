/**
 * Test helpers for driving mock-as through `app.inject()`: form posts, Basic
 * credentials, PKCE pairs and the browser part of the code flow (login form
 * with its CSRF cookie; the whole code flow through the harness's own front
 * channel, src/oauth, over `app.inject()`). Used by test/integration/mock-as-*.test.ts.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { authorize as frontChannel } from '../src/oauth/authorize.ts'
import { clientSecretBasic } from '../src/oauth/client-auth.ts'
import { pkcePair } from '../src/oauth/pkce.ts'
import type { OAuthResponse, Transport } from '../src/oauth/transport.ts'

export const FORM = 'application/x-www-form-urlencoded'

/** Basic header with RFC 6749 §2.3.1 form-urlencoding of id and secret (the harness's own, {@link clientSecretBasic}). */
export const basic = clientSecretBasic

/** A PKCE verifier and its S256 challenge (the harness's own, {@link pkcePair}). */
export const pkce = pkcePair

export function post(
  app: FastifyInstance,
  url: string,
  params: Record<string, string> | string,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  const payload = typeof params === 'string' ? params : new URLSearchParams(params).toString()
  return app.inject({ method: 'POST', url, headers: { 'content-type': FORM, ...headers }, payload })
}

export function json(res: LightMyRequestResponse): Record<string, unknown> {
  return JSON.parse(res.body) as Record<string, unknown>
}

export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [h, p] = token.split('.')
  return {
    header: JSON.parse(Buffer.from(h!, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(p!, 'base64url').toString()),
  }
}

/** The hidden inputs and CSRF cookie of a login page. */
export function formState(res: LightMyRequestResponse): { txn?: string; csrf: string; cookie: string } {
  const input = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(res.body)?.[1]
  const setCookie = res.headers['set-cookie']
  const cookie = (Array.isArray(setCookie) ? setCookie[0] : setCookie)?.split(';')[0] ?? ''
  const txn = input('txn')
  return { ...(txn !== undefined ? { txn } : {}), csrf: input('csrf') ?? '', cookie }
}

/** Walk /authorize as alice would: open the page, sign in, approve. Returns the redirect Location. */
export async function authorize(
  app: FastifyInstance,
  query: Record<string, string>,
  opts: { username?: string; password?: string; decision?: 'approve' | 'deny' } = {},
): Promise<{ page: LightMyRequestResponse; submit?: LightMyRequestResponse; location?: URL }> {
  const page = await app.inject({ method: 'GET', url: `/authorize?${new URLSearchParams(query)}` })
  if (page.statusCode !== 200)
    return { page, ...(page.headers.location ? { location: new URL(String(page.headers.location)) } : {}) }
  const s = formState(page)
  const submit = await post(
    app,
    '/authorize',
    {
      txn: s.txn ?? '',
      csrf: s.csrf,
      username: opts.username ?? 'alice',
      password: opts.password ?? 'wonderland',
      decision: opts.decision ?? 'approve',
    },
    { cookie: s.cookie },
  )
  return { page, submit, ...(submit.headers.location ? { location: new URL(String(submit.headers.location)) } : {}) }
}

/** Full code flow for a client; returns the token response. */
/** A src/oauth transport over `app.inject()`: only path and query of the URL are used. */
export function injectTransport(app: FastifyInstance): Transport {
  return async (req) => {
    const u = new URL(req.url)
    const res = await app.inject({
      method: req.method,
      url: `${u.pathname}${u.search}`,
      headers: req.headers,
      ...(req.body !== undefined ? { payload: req.body } : {}),
    })
    return { status: res.statusCode, headers: res.headers as OAuthResponse['headers'], body: res.body }
  }
}

/** Full code flow for a client through the harness's own front channel (src/oauth); returns the token response. */
export async function codeFlow(
  app: FastifyInstance,
  clientId: string,
  redirectUri: string,
  auth: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const { verifier } = pkce()
  const meta = json(await app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' }))
  const as = { issuer: String(meta.issuer), authorizationEndpoint: String(meta.authorization_endpoint) }
  const front = await frontChannel(injectTransport(app), as, {
    clientId,
    redirectUri,
    username: 'alice',
    password: 'wonderland',
    codeVerifier: verifier,
  })
  if (!front.code) throw new Error(`no code: ${front.status} ${front.error ?? ''}`)
  const res = await post(
    app,
    '/token',
    {
      grant_type: 'authorization_code',
      code: front.code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
      ...(auth.authorization ? {} : { client_id: clientId }),
    },
    auth,
  )
  if (res.statusCode !== 200) throw new Error(`token: ${res.statusCode} ${res.body}`)
  return json(res)
}
