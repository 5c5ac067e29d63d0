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
 * Every token received is registered with the secret masker. Requests go
 * through the endpoints' transport (plain `fetch` unless one is given).
 */
import { GamedayError } from '../errors.ts'
import { registerSecret } from '../util/secrets.ts'
import { type AuthorizeResult, authorize as frontChannel } from './authorize.ts'
import { parseBearerChallenge as parseChallenge } from './bearer-challenge.ts'
import type { ClientAuthMethod } from './client-auth.ts'
import type { ClientSigningKey } from './client-assertion.ts'
import { pkcePair } from './pkce.ts'
import { type FormPostResult, postForm as post } from './token-endpoint.ts'
import { fetchTransport, type Transport } from './transport.ts'

export type { AuthorizeResult }

/** Where the client talks to, and how. */
export interface OAuthEndpoints {
  issuer?: string
  authorizationEndpoint: string
  tokenEndpoint: string
  revocationEndpoint?: string
  introspectionEndpoint?: string
  /** How requests are sent (default: {@link fetchTransport}). */
  transport?: Transport
}

/** The client as registered at the AS. */
export interface OAuthClient {
  clientId: string
  clientSecret?: string
  /** Default: private_key_jwt with a private key, client_secret_basic with a secret, none without. */
  authMethod?: ClientAuthMethod
  /** The private_key_jwt signing key (RFC 7523). */
  privateKey?: ClientSigningKey
  /** `aud` of its client assertions (default: the endpoint's origin; pass the issuer). */
  assertionAudience?: string
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

const defaultTransport = fetchTransport()

function transportOf(ep: { transport?: Transport }): Transport {
  return ep.transport ?? defaultTransport
}

async function postForm(
  ep: OAuthEndpoints,
  url: string,
  params: Record<string, string | undefined>,
  client: OAuthClient | undefined,
  signal?: AbortSignal,
): Promise<{ status: number; body: Record<string, unknown>; ms: number }> {
  const r: FormPostResult = await post(transportOf(ep), url, params, client, signal)
  const body =
    r.json ??
    (r.response.body === ''
      ? {}
      : { error: 'invalid_response', error_description: `non-JSON body (status ${r.status})` })
  return { status: r.status, body, ms: r.ms }
}

function toTokenResponse(r: { status: number; body: Record<string, unknown>; ms: number }): TokenResponse {
  const b = r.body
  const str = (k: string) => (typeof b[k] === 'string' ? (b[k] as string) : undefined)
  const out: TokenResponse = { status: r.status, ok: r.status === 200 && typeof b.access_token === 'string', ms: r.ms }
  for (const k of [
    'access_token',
    'refresh_token',
    'id_token',
    'token_type',
    'scope',
    'error',
    'error_description',
  ] as const) {
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
export async function clientCredentials(
  ep: OAuthEndpoints,
  client: OAuthClient,
  opts: { scope?: string; resource?: string; signal?: AbortSignal } = {},
): Promise<TokenResponse> {
  return toTokenResponse(
    await postForm(
      ep,
      ep.tokenEndpoint,
      { grant_type: 'client_credentials', scope: opts.scope, resource: opts.resource },
      client,
      opts.signal,
    ),
  )
}

/** `grant_type=refresh_token` (RFC 6749 §6). */
export async function refreshToken(
  ep: OAuthEndpoints,
  client: OAuthClient,
  token: string,
  signal?: AbortSignal,
): Promise<TokenResponse> {
  return toTokenResponse(
    await postForm(ep, ep.tokenEndpoint, { grant_type: 'refresh_token', refresh_token: token }, client, signal),
  )
}

/** `grant_type=authorization_code` with the PKCE verifier (RFC 7636 §4.5). */
export async function exchangeCode(
  ep: OAuthEndpoints,
  client: OAuthClient,
  code: string,
  codeVerifier: string | undefined,
  signal?: AbortSignal,
): Promise<TokenResponse> {
  return toTokenResponse(
    await postForm(
      ep,
      ep.tokenEndpoint,
      { grant_type: 'authorization_code', code, code_verifier: codeVerifier, redirect_uri: client.redirectUri },
      client,
      signal,
    ),
  )
}

/** RFC 7009 revocation; resolves to the HTTP status (200 even for unknown tokens). */
export async function revokeToken(
  ep: OAuthEndpoints,
  client: OAuthClient,
  token: string,
  hint?: 'access_token' | 'refresh_token',
  signal?: AbortSignal,
): Promise<number> {
  if (!ep.revocationEndpoint)
    throw new GamedayError('ERR_CAPABILITY_MISSING', 'the authorization server publishes no revocation_endpoint')
  return (await postForm(ep, ep.revocationEndpoint, { token, token_type_hint: hint }, client, signal)).status
}

/** RFC 7662 introspection; `active` is undefined when the call failed. */
export async function introspectToken(
  ep: OAuthEndpoints,
  client: OAuthClient,
  token: string,
  signal?: AbortSignal,
): Promise<{ status: number; active?: boolean; body: Record<string, unknown> }> {
  if (!ep.introspectionEndpoint)
    throw new GamedayError('ERR_CAPABILITY_MISSING', 'the authorization server publishes no introspection_endpoint')
  const r = await postForm(ep, ep.introspectionEndpoint, { token }, client, signal)
  return { status: r.status, ...(typeof r.body.active === 'boolean' ? { active: r.body.active } : {}), body: r.body }
}

/** The `error` and `error_description` (as `reason`) of a Bearer challenge (see {@link parseChallenge}). */
export function parseBearerChallenge(header: string | null): { error?: string; reason?: string } {
  const ch = parseChallenge(header)
  return {
    ...(ch.error !== undefined ? { error: ch.error } : {}),
    ...(ch.error_description !== undefined ? { reason: ch.error_description } : {}),
  }
}

/** GET a protected resource with a bearer token (through `transport`, default `fetch`). */
export async function callResource(
  url: string,
  accessToken: string,
  signal?: AbortSignal,
  transport: Transport = defaultTransport,
): Promise<ResourceResponse> {
  const started = performance.now()
  const res = await transport({
    url,
    method: 'GET',
    headers: { authorization: `Bearer ${accessToken}` },
    ...(signal ? { signal } : {}),
  })
  const www = res.headers['www-authenticate']
  return {
    status: res.status,
    ...parseBearerChallenge((Array.isArray(www) ? www[0] : www) ?? null),
    ms: performance.now() - started,
  }
}

/**
 * The front channel of the authorization code flow (see {@link frontChannel}):
 * login/consent form submitted with `decision=approve`, stopped at the
 * redirect to the client's redirect_uri.
 */
export async function authorize(
  ep: OAuthEndpoints,
  client: OAuthClient,
  opts: AuthorizeOptions & { codeChallenge?: string },
): Promise<AuthorizeResult> {
  if (!client.redirectUri)
    throw new GamedayError('ERR_CAPABILITY_MISSING', `client ${JSON.stringify(client.clientId)} has no redirect uri`)
  const { signal, ...rest } = opts
  return frontChannel(transportOf(ep), ep, {
    ...rest,
    clientId: client.clientId,
    redirectUri: client.redirectUri,
    ...(signal ? { signal } : {}),
  })
}

/** Log in a user with the authorization code flow + PKCE S256 and redeem the code. */
export async function authCodeLogin(
  ep: OAuthEndpoints,
  client: OAuthClient,
  opts: Omit<AuthorizeOptions, 'challengeMethod' | 'codeVerifier'>,
): Promise<TokenResponse> {
  const { verifier } = pkcePair()
  const front = await authorize(ep, client, { ...opts, challengeMethod: 'S256', codeVerifier: verifier })
  if (!front.code)
    return {
      status: front.status,
      ok: false,
      error: front.error ?? 'no_code',
      ...(front.error_description ? { error_description: front.error_description } : {}),
      ms: 0,
    }
  registerSecret(front.code)
  return exchangeCode(ep, client, front.code, verifier, opts.signal)
}
