/**
 * A small OAuth 2.0 client over plain `fetch`, shared by faults and probes so
 * they do not depend on a load engine: the authorization code flow with PKCE
 * (RFC 7636) through an HTML login/consent form (GET /authorize, read the form
 * and its hidden inputs — CSRF token included — POST the credentials with
 * `decision=approve`, read the `Location`), the code exchange, refresh (RFC
 * 6749 §6), client credentials (§4.4), revocation (RFC 7009), introspection
 * (RFC 7662) and a bearer call to a resource server (RFC 6750).
 *
 * OAuth errors are returned, not thrown: a fault or probe wants to record that
 * a replayed refresh token got `invalid_grant`. Only transport failures throw.
 * Every token received is registered with the secret masker.
 */
import { randomBytes } from 'node:crypto'
import { GamedayError } from '../errors.ts'
import { parseBearerChallenge as parseChallenge } from './bearer-challenge.ts'
import { clientSecretBasic } from './client-auth.ts'
import { pkcePair, s256 } from './pkce.ts'
import { registerSecret } from '../util/secrets.ts'

/** Where the client talks to. */
export interface OAuthEndpoints {
  issuer?: string
  authorizationEndpoint: string
  tokenEndpoint: string
  revocationEndpoint?: string
  introspectionEndpoint?: string
}

/** The client as registered at the AS. */
export interface OAuthClient {
  clientId: string
  clientSecret?: string
  redirectUri?: string
}

/** A token endpoint answer: the JSON body plus the HTTP status. */
export interface TokenResponse {
  status: number
  ok: boolean
  access_token?: string
  refresh_token?: string
  id_token?: string
  token_type?: string
  expires_in?: number
  scope?: string
  error?: string
  error_description?: string
  /** Milliseconds the request took. */
  ms: number
}

/** A resource-server answer, with the RFC 6750 error and the mock-rs reason. */
export interface ResourceResponse {
  status: number
  /** `error` of WWW-Authenticate (`invalid_token`, `insufficient_scope`). */
  error?: string
  /** `error_description` of WWW-Authenticate (mock-rs puts its reason there: `expired`, `unknown_kid`, ...). */
  reason?: string
  ms: number
}

/** Result of the front-channel part: a code, or an OAuth error from the redirect or the page. */
export interface AuthorizeResult {
  code?: string
  state?: string
  iss?: string
  error?: string
  error_description?: string
  /** HTTP status of the last response of the front channel. */
  status: number
}

export interface AuthorizeOptions {
  scope?: string
  resource?: string
  /** `S256` (default), `plain`, or `none` to omit the challenge. */
  challengeMethod?: 'S256' | 'plain' | 'none'
  /** Verifier to derive the challenge from (default: a fresh random one). */
  codeVerifier?: string
  username: string
  password: string
  signal?: AbortSignal
}

const FORM = 'application/x-www-form-urlencoded'

function basicAuth(client: OAuthClient): string | undefined {
  return client.clientSecret ? clientSecretBasic(client.clientId, client.clientSecret) : undefined
}

async function postForm(url: string, params: Record<string, string | undefined>, client: OAuthClient | undefined, signal?: AbortSignal): Promise<{ status: number; body: Record<string, unknown>; ms: number }> {
  const body = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') body.set(k, v)
  const headers: Record<string, string> = { 'content-type': FORM, accept: 'application/json' }
  const auth = client ? basicAuth(client) : undefined
  if (auth) headers.authorization = auth
  else if (client) body.set('client_id', client.clientId)
  const started = performance.now()
  const res = await fetch(url, { method: 'POST', headers, body, signal, redirect: 'manual' })
  const text = await res.text()
  const ms = performance.now() - started
  let parsed: Record<string, unknown> = {}
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {}
  } catch {
    parsed = { error: 'invalid_response', error_description: `non-JSON body (status ${res.status})` }
  }
  return { status: res.status, body: parsed, ms }
}

function toTokenResponse(r: { status: number; body: Record<string, unknown>; ms: number }): TokenResponse {
  const b = r.body
  const str = (k: string) => (typeof b[k] === 'string' ? (b[k] as string) : undefined)
  const out: TokenResponse = { status: r.status, ok: r.status === 200 && typeof b.access_token === 'string', ms: r.ms }
  for (const k of ['access_token', 'refresh_token', 'id_token', 'token_type', 'scope', 'error', 'error_description'] as const) {
    const v = str(k)
    if (v !== undefined) out[k] = v
  }
  if (typeof b.expires_in === 'number') out.expires_in = b.expires_in
  registerSecret(out.access_token)
  registerSecret(out.refresh_token)
  registerSecret(out.id_token)
  return out
}

/** `grant_type=client_credentials` (RFC 6749 §4.4). */
export async function clientCredentials(ep: OAuthEndpoints, client: OAuthClient, opts: { scope?: string; resource?: string; signal?: AbortSignal } = {}): Promise<TokenResponse> {
  return toTokenResponse(await postForm(ep.tokenEndpoint, { grant_type: 'client_credentials', scope: opts.scope, resource: opts.resource }, client, opts.signal))
}

/** `grant_type=refresh_token` (RFC 6749 §6). */
export async function refreshToken(ep: OAuthEndpoints, client: OAuthClient, token: string, signal?: AbortSignal): Promise<TokenResponse> {
  return toTokenResponse(await postForm(ep.tokenEndpoint, { grant_type: 'refresh_token', refresh_token: token }, client, signal))
}

/** `grant_type=authorization_code` with the PKCE verifier (RFC 7636 §4.5). */
export async function exchangeCode(ep: OAuthEndpoints, client: OAuthClient, code: string, codeVerifier: string | undefined, signal?: AbortSignal): Promise<TokenResponse> {
  return toTokenResponse(await postForm(ep.tokenEndpoint, { grant_type: 'authorization_code', code, code_verifier: codeVerifier, redirect_uri: client.redirectUri }, client, signal))
}

/** RFC 7009 revocation; resolves to the HTTP status (200 even for unknown tokens). */
export async function revokeToken(ep: OAuthEndpoints, client: OAuthClient, token: string, hint?: 'access_token' | 'refresh_token', signal?: AbortSignal): Promise<number> {
  if (!ep.revocationEndpoint) throw new GamedayError('ERR_CAPABILITY_MISSING', 'the authorization server publishes no revocation_endpoint')
  return (await postForm(ep.revocationEndpoint, { token, token_type_hint: hint }, client, signal)).status
}

/** RFC 7662 introspection; `active` is undefined when the call failed. */
export async function introspectToken(ep: OAuthEndpoints, client: OAuthClient, token: string, signal?: AbortSignal): Promise<{ status: number; active?: boolean; body: Record<string, unknown> }> {
  if (!ep.introspectionEndpoint) throw new GamedayError('ERR_CAPABILITY_MISSING', 'the authorization server publishes no introspection_endpoint')
  const r = await postForm(ep.introspectionEndpoint, { token }, client, signal)
  return { status: r.status, ...(typeof r.body.active === 'boolean' ? { active: r.body.active } : {}), body: r.body }
}

/** The `error` and `error_description` (as `reason`) of a Bearer challenge (see {@link parseChallenge}). */
export function parseBearerChallenge(header: string | null): { error?: string; reason?: string } {
  const ch = parseChallenge(header)
  return { ...(ch.error !== undefined ? { error: ch.error } : {}), ...(ch.error_description !== undefined ? { reason: ch.error_description } : {}) }
}

/** GET a protected resource with a bearer token. */
export async function callResource(url: string, accessToken: string, signal?: AbortSignal): Promise<ResourceResponse> {
  const started = performance.now()
  const res = await fetch(url, { headers: { authorization: `Bearer ${accessToken}` }, signal })
  await res.arrayBuffer()
  return { status: res.status, ...parseBearerChallenge(res.headers.get('www-authenticate')), ms: performance.now() - started }
}

function decodeEntities(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;|&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#x2F;|&#47;/g, '/')
    .replace(/&amp;/g, '&')
}

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag)
  if (!m) return undefined
  return decodeEntities(m[1] ?? m[2] ?? m[3] ?? '')
}

/** The first form of an HTML page: its action, method and the value of every named input (hidden ones carry the CSRF token). */
export function parseForm(html: string, baseUrl: string): { action: string; method: string; fields: Record<string, string> } | undefined {
  const form = /<form\b[^>]*>([\s\S]*?)<\/form>/i.exec(html)
  if (!form) return undefined
  const open = /<form\b[^>]*>/i.exec(form[0])![0]
  const action = new URL(attr(open, 'action') ?? baseUrl, baseUrl).toString()
  const method = (attr(open, 'method') ?? 'get').toLowerCase()
  const fields: Record<string, string> = {}
  for (const m of (form[1] ?? '').matchAll(/<input\b[^>]*>/gi)) {
    const tag = m[0]
    const name = attr(tag, 'name')
    const type = (attr(tag, 'type') ?? 'text').toLowerCase()
    if (!name || type === 'submit' || type === 'button') continue
    fields[name] = attr(tag, 'value') ?? ''
  }
  return { action, method, fields }
}

function cookieJar(): { add(res: Response): void; header(): string | undefined } {
  const jar = new Map<string, string>()
  return {
    add(res) {
      for (const c of res.headers.getSetCookie()) {
        const pair = c.split(';', 1)[0] ?? ''
        const eq = pair.indexOf('=')
        if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim())
      }
    },
    header: () => (jar.size ? [...jar].map(([k, v]) => `${k}=${v}`).join('; ') : undefined),
  }
}

function readRedirect(location: string, base: string): AuthorizeResult & { external: boolean } {
  const u = new URL(location, base)
  const p = u.searchParams
  const out: AuthorizeResult & { external: boolean } = { status: 302, external: true }
  for (const k of ['code', 'state', 'iss', 'error', 'error_description'] as const) {
    const v = p.get(k)
    if (v !== null) out[k] = v
  }
  out.external = out.code !== undefined || out.error !== undefined
  return out
}

/**
 * The front channel of the authorization code flow: GET the authorization
 * endpoint, submit the login/consent form with `decision=approve`, follow
 * same-origin redirects, and stop at the redirect to the client's
 * redirect_uri. Bounded to 6 hops.
 */
export async function authorize(ep: OAuthEndpoints, client: OAuthClient, opts: AuthorizeOptions & { codeChallenge?: string }): Promise<AuthorizeResult> {
  if (!client.redirectUri) throw new GamedayError('ERR_CAPABILITY_MISSING', `client ${JSON.stringify(client.clientId)} has no redirect uri`)
  const state = randomBytes(12).toString('base64url')
  const url = new URL(ep.authorizationEndpoint)
  url.searchParams.set('response_type', 'code')
  url.searchParams.set('client_id', client.clientId)
  url.searchParams.set('redirect_uri', client.redirectUri)
  url.searchParams.set('state', state)
  if (opts.scope) url.searchParams.set('scope', opts.scope)
  if (opts.resource) url.searchParams.set('resource', opts.resource)
  const method = opts.challengeMethod ?? 'S256'
  if (method !== 'none') {
    const challenge = opts.codeChallenge ?? (method === 'plain' ? opts.codeVerifier : opts.codeVerifier ? s256(opts.codeVerifier) : undefined)
    if (!challenge) throw new GamedayError('ERR_PROBE_FAILED', 'authorize: a code verifier or challenge is required')
    url.searchParams.set('code_challenge', challenge)
    url.searchParams.set('code_challenge_method', method)
  }
  const jar = cookieJar()
  const redirectBase = client.redirectUri
  let req: { url: string; init: RequestInit } = { url: url.toString(), init: { method: 'GET' } }
  let submitted = 0
  for (let hop = 0; hop < 6; hop++) {
    const headers = new Headers(req.init.headers)
    const cookie = jar.header()
    if (cookie) headers.set('cookie', cookie)
    const res = await fetch(req.url, { ...req.init, headers, redirect: 'manual', signal: opts.signal })
    jar.add(res)
    const location = res.headers.get('location')
    if (res.status >= 300 && res.status < 400 && location) {
      await res.arrayBuffer()
      const target = new URL(location, req.url)
      if (target.toString().startsWith(redirectBase.split('?')[0]!) || target.searchParams.has('code') || target.searchParams.has('error')) {
        const r = readRedirect(location, req.url)
        if (r.state !== undefined && r.state !== state) return { status: res.status, error: 'state_mismatch', error_description: 'the state in the redirect is not the one sent' }
        const { external: _e, ...rest } = r
        return { ...rest, status: res.status }
      }
      req = { url: target.toString(), init: { method: 'GET' } }
      continue
    }
    const text = await res.text()
    if (res.status >= 400) {
      const m = /error[^a-z_]*([a-z_]{5,})/i.exec(text)
      return { status: res.status, error: m?.[1] ?? 'invalid_request', error_description: `authorization page answered ${res.status}` }
    }
    const form = parseForm(text, req.url)
    if (!form || submitted >= 3) return { status: res.status, error: 'no_form', error_description: 'the authorization page holds no form to submit' }
    submitted++
    const body = new URLSearchParams(form.fields)
    if ('username' in form.fields || /name\s*=\s*["']?username/i.test(text)) body.set('username', opts.username)
    if ('password' in form.fields || /name\s*=\s*["']?password/i.test(text)) body.set('password', opts.password)
    body.set('decision', 'approve')
    req = { url: form.action, init: { method: 'POST', headers: { 'content-type': FORM }, body } }
  }
  return { status: 0, error: 'too_many_redirects', error_description: 'the front channel did not reach the redirect uri in 6 hops' }
}

/** Log in a user with the authorization code flow + PKCE S256 and redeem the code. */
export async function authCodeLogin(ep: OAuthEndpoints, client: OAuthClient, opts: Omit<AuthorizeOptions, 'challengeMethod' | 'codeVerifier'>): Promise<TokenResponse> {
  const { verifier } = pkcePair()
  const front = await authorize(ep, client, { ...opts, challengeMethod: 'S256', codeVerifier: verifier })
  if (!front.code) return { status: front.status, ok: false, error: front.error ?? 'no_code', ...(front.error_description ? { error_description: front.error_description } : {}), ms: 0 }
  registerSecret(front.code)
  return exchangeCode(ep, client, front.code, verifier, opts.signal)
}
