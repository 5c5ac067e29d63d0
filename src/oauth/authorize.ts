/**
 * The front channel of the authorization code flow (RFC 6749 §4.1) with PKCE
 * (RFC 7636), driven the way a browser would but without one: GET the
 * authorization endpoint, read the login/consent form (hidden CSRF and
 * transaction fields included), POST the credentials with
 * `decision=approve`, follow redirects by reading `Location` (cookies kept),
 * and stop at the redirect to the client's redirect_uri, where `state` and
 * `iss` (RFC 9207) are checked. Bounded to 6 requests and 3 form posts.
 * With `par`, the request is pushed first (RFC 9126) and only its
 * `request_uri` goes through the browser.
 *
 * OAuth errors resolve as `error`; only the transport rejects.
 */
import { randomBytes } from 'node:crypto'
import { GamedayError } from '../errors.ts'
import type { ClientIdentity } from './client-auth.ts'
import { CookieJar } from './cookie-jar.ts'
import { hasInput, parseForm } from './html-form.ts'
import { s256 } from './pkce.ts'
import { postForm } from './token-endpoint.ts'
import { headerOf, type OAuthResponse, type Transport } from './transport.ts'

/** Where the front channel goes, and the issuer its answers must name (RFC 9207). */
export interface AuthorizationServer {
  issuer?: string
  authorizationEndpoint: string
}

export interface AuthorizeOptions {
  clientId: string
  redirectUri: string
  username: string
  password: string
  scope?: string
  resource?: string
  /** `S256` (default), `plain`, or `none` to omit the challenge. */
  challengeMethod?: 'S256' | 'plain' | 'none'
  /** Verifier to derive the challenge from (S256, plain). */
  codeVerifier?: string
  /** The challenge as sent, overriding the one derived from `codeVerifier`. */
  codeChallenge?: string
  /**
   * Push the request first (PAR, RFC 9126): its parameters go to `endpoint`,
   * authenticated as `client`, and the authorization endpoint gets only
   * `client_id` and the returned `request_uri`.
   */
  par?: { endpoint: string; client: ClientIdentity }
  signal?: AbortSignal
}

/**
 * A code, or why there is none. `error` is the AS's OAuth error code (from
 * the redirect or a JSON error page) or one of the harness's own:
 * `http_error` (an error page with no OAuth code), `no_login_form`,
 * `no_redirect` (6 requests without reaching the redirect_uri),
 * `state_mismatch`, `iss_mismatch`, `no_code`.
 */
export interface AuthorizeResult {
  code?: string
  state?: string
  iss?: string
  error?: string
  error_description?: string
  /** HTTP status of the last response of the front channel. */
  status: number
}

const MAX_REQUESTS = 6
const MAX_FORM_POSTS = 3

/**
 * Run the front channel once.
 *
 * @example
 * const { verifier, challenge } = pkcePair()
 * const r = await authorize(fetchTransport(), { authorizationEndpoint, issuer }, { clientId, redirectUri, username, password, codeChallenge: challenge })
 * if (r.code) await postForm(transport, tokenEndpoint, { grant_type: 'authorization_code', code: r.code, code_verifier: verifier, redirect_uri: redirectUri }, client)
 */
export async function authorize(
  transport: Transport,
  as: AuthorizationServer,
  o: AuthorizeOptions,
): Promise<AuthorizeResult> {
  const state = randomBytes(16).toString('base64url')
  let url = authorizationUrl(as, o, state)
  if (o.par) {
    const pushed = await postForm(
      transport,
      o.par.endpoint,
      Object.fromEntries(url.searchParams),
      o.par.client,
      o.signal,
    )
    const requestUri = pushed.json?.request_uri
    if ((pushed.status !== 201 && pushed.status !== 200) || typeof requestUri !== 'string') {
      const error = pushed.json?.error
      return {
        status: pushed.status,
        error: typeof error === 'string' ? error : 'par_failed',
        error_description: `the pushed authorization request endpoint answered ${pushed.status}`,
      }
    }
    url = new URL(as.authorizationEndpoint)
    url.searchParams.set('client_id', o.clientId)
    url.searchParams.set('request_uri', requestUri)
  }
  const jar = new CookieJar()
  const callback = o.redirectUri.split('?')[0]!
  let req: { url: string; method: 'GET' | 'POST'; body?: string } = { url: url.href, method: 'GET' }
  let posts = 0
  for (let n = 0; n < MAX_REQUESTS; n++) {
    const headers: Record<string, string> = { accept: 'text/html', ...jar.header() }
    if (req.body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded'
    const res = await transport({
      url: req.url,
      method: req.method,
      headers,
      ...(req.body !== undefined ? { body: req.body } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    })
    jar.take(res)
    const location = headerOf(res, 'location')
    if (res.status >= 300 && res.status < 400 && location) {
      const target = new URL(location, req.url)
      if (target.href.startsWith(callback) || target.searchParams.has('code') || target.searchParams.has('error'))
        return readCallback(target, state, as.issuer, res.status)
      req = { url: target.href, method: 'GET' }
      continue
    }
    if (res.status >= 400)
      return {
        status: res.status,
        error: pageError(res),
        error_description: `the authorization page answered ${res.status}`,
      }
    const form = parseForm(res.body, req.url)
    if (!form || posts >= MAX_FORM_POSTS)
      return {
        status: res.status,
        error: 'no_login_form',
        error_description: 'the authorization page holds no form to submit',
      }
    posts++
    const fields = new URLSearchParams(form.fields)
    if ('username' in form.fields || hasInput(res.body, 'username')) fields.set('username', o.username)
    if ('password' in form.fields || hasInput(res.body, 'password')) fields.set('password', o.password)
    fields.set('decision', 'approve')
    req = { url: form.action, method: 'POST', body: fields.toString() }
  }
  return {
    status: 0,
    error: 'no_redirect',
    error_description: `the front channel did not reach the redirect uri in ${MAX_REQUESTS} requests`,
  }
}

/** The OAuth `error` of an error page when it is JSON, else `http_error`. */
export function pageError(res: OAuthResponse): string {
  try {
    const j = JSON.parse(res.body) as { error?: unknown }
    if (typeof j.error === 'string' && j.error !== '') return j.error
  } catch {
    // an HTML page: no OAuth code to read
  }
  return 'http_error'
}

/**
 * The authorization request (RFC 6749 §4.1.1) with its PKCE challenge (RFC 7636 §4.3).
 *
 * @example authorizationUrl({ authorizationEndpoint }, { clientId: 'web', redirectUri, codeVerifier }, state).href
 */
export function authorizationUrl(
  as: AuthorizationServer,
  o: Pick<
    AuthorizeOptions,
    'clientId' | 'redirectUri' | 'scope' | 'resource' | 'challengeMethod' | 'codeVerifier' | 'codeChallenge'
  >,
  state: string,
): URL {
  const url = new URL(as.authorizationEndpoint)
  url.searchParams.set('response_type', 'code')
  url.searchParams.set('client_id', o.clientId)
  url.searchParams.set('redirect_uri', o.redirectUri)
  url.searchParams.set('state', state)
  if (o.scope) url.searchParams.set('scope', o.scope)
  if (o.resource) url.searchParams.set('resource', o.resource)
  const method = o.challengeMethod ?? 'S256'
  if (method !== 'none') {
    const challenge =
      o.codeChallenge ??
      (o.codeVerifier === undefined ? undefined : method === 'plain' ? o.codeVerifier : s256(o.codeVerifier))
    if (challenge === undefined)
      throw new GamedayError('ERR_PROBE_FAILED', 'authorize: a code verifier or challenge is required')
    url.searchParams.set('code_challenge', challenge)
    url.searchParams.set('code_challenge_method', method)
  }
  return url
}

/**
 * The authorization response at the redirect uri (RFC 6749 §4.1.2): `state`
 * must be the one sent (an error response may omit it), `iss`, when present,
 * the issuer (RFC 9207); then the code, or the AS's error.
 *
 * @example readCallback(new URL(location), state, issuer).code
 */
export function readCallback(target: URL, state: string, issuer: string | undefined, status = 302): AuthorizeResult {
  const p = target.searchParams
  const out: AuthorizeResult = { status }
  for (const k of ['code', 'state', 'iss', 'error', 'error_description'] as const) {
    const v = p.get(k)
    if (v !== null) out[k] = v
  }
  if (out.state !== state && (out.state !== undefined || out.error === undefined)) {
    return { status, error: 'state_mismatch', error_description: 'the state in the redirect is not the one sent' }
  }
  if (issuer !== undefined && out.iss !== undefined && out.iss !== issuer) {
    return { status, error: 'iss_mismatch', error_description: 'the iss in the redirect is not the issuer (RFC 9207)' }
  }
  if (out.error === undefined && out.code === undefined)
    return { ...out, error: 'no_code', error_description: 'the redirect carries neither code nor error' }
  return out
}
