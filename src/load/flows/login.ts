/**
 * The authorization code flow with PKCE S256 over plain HTTP (RFC 6749 §4.1,
 * RFC 7636, RFC 9207 for `iss`), driving the AS's login and consent form the
 * way a browser would but without one: GET the authorization endpoint, parse
 * the form (action, hidden CSRF field), POST the credentials with
 * `decision=approve`, follow redirects by reading `Location`, stop at the
 * loopback redirect_uri, check `state` and `iss`, exchange the code.
 */
import { randomBytes } from 'node:crypto'
import { pkcePair } from '../../oauth/pkce.ts'
import type { ClientCredentials } from '../../runtime/types.ts'
import { type HttpResponse, TransportError, header } from '../http.ts'
import { requestToken, type TokenResponse } from './oauth.ts'
import type { FlowContext } from './types.ts'

const b64url = (b: Buffer) => b.toString('base64url')

interface ParsedForm {
  action: string
  method: string
  fields: Record<string, string>
}

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\b${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag)
  return m ? decodeEntities(m[1] ?? m[2] ?? m[3] ?? '') : undefined
}

function decodeEntities(s: string): string {
  return s
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
}

/** The first form of an HTML page: action, method and the named inputs with their values. */
export function parseForm(html: string, baseUrl: string): ParsedForm | undefined {
  const m = /<form\b[^>]*>([\s\S]*?)<\/form>/i.exec(html)
  if (!m) return undefined
  const open = /<form\b[^>]*>/i.exec(m[0])![0]
  const fields: Record<string, string> = {}
  for (const input of m[1]!.match(/<input\b[^>]*>/gi) ?? []) {
    const name = attr(input, 'name')
    const type = (attr(input, 'type') ?? 'text').toLowerCase()
    if (!name || type === 'submit' || type === 'button') continue
    fields[name] = attr(input, 'value') ?? ''
  }
  return { action: new URL(attr(open, 'action') ?? baseUrl, baseUrl).href, method: (attr(open, 'method') ?? 'GET').toUpperCase(), fields }
}

class Cookies {
  readonly #jar = new Map<string, string>()
  take(res: HttpResponse): void {
    const raw = res.headers['set-cookie']
    for (const c of Array.isArray(raw) ? raw : raw ? [raw] : []) {
      const pair = c.split(';', 1)[0]!
      const i = pair.indexOf('=')
      if (i > 0) this.#jar.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim())
    }
  }
  header(): Record<string, string> {
    return this.#jar.size ? { cookie: [...this.#jar].map(([k, v]) => `${k}=${v}`).join('; ') } : {}
  }
}

export interface LoginOptions {
  client: ClientCredentials
  user: { username: string; password: string }
  scope?: string
  intendedStart: number
  signal: AbortSignal
  /** Record the steps (false during setup). */
  record: boolean
}

export interface LoginResult {
  ok: boolean
  reason?: string
  token?: TokenResponse
}

const MAX_HOPS = 6

/** Run the whole flow once; records `oauth_authorize` steps and the `oauth_token` exchange; never throws. */
export async function authCodeLogin(ctx: FlowContext, o: LoginOptions): Promise<LoginResult> {
  const redirectUri = o.client.redirectUris[0]
  if (!redirectUri) return { ok: false, reason: 'no_redirect_uri' }
  const { verifier, challenge } = pkcePair()
  const state = b64url(randomBytes(16))
  const cookies = new Cookies()
  const url = new URL(ctx.targets.authorizationEndpoint)
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: o.client.clientId,
    redirect_uri: redirectUri,
    scope: o.scope ?? o.client.scopes.join(' '),
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString()

  let intended = o.intendedStart
  let current = url.href
  const step = async (endpoint: string, req: { url: string; method?: 'GET' | 'POST'; body?: string }): Promise<HttpResponse | string> => {
    const start = ctx.now()
    current = req.url
    const headers: Record<string, string> = { accept: 'text/html', ...cookies.header() }
    if (req.body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded'
    let res: HttpResponse | undefined
    let reason: string | undefined
    try {
      res = await ctx.http.request({ url: req.url, method: req.method ?? 'GET', headers, body: req.body, timeoutMs: ctx.timeoutMs, signal: o.signal })
      cookies.take(res)
      if (res.status >= 400) reason = errorOf(res) ?? 'http_error'
    } catch (err) {
      reason = err instanceof TransportError ? err.reason : 'transport_error'
    }
    if (o.record) ctx.record('oauth_authorize', { endpoint, status: String(res?.status ?? 0), reason }, intended, start, ctx.now(), reason !== undefined)
    intended = ctx.now()
    return reason !== undefined ? reason : res!
  }

  let res = await step('authorize', { url: url.href })
  let location: string | undefined
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    if (typeof res === 'string') return { ok: false, reason: res }
    const loc = header(res, 'location')
    if (res.status >= 300 && res.status < 400 && loc) {
      const next = new URL(loc, current).href
      if (next.startsWith(redirectUri.split('?')[0]!)) {
        location = next
        break
      }
      res = await step('authorize', { url: next })
      continue
    }
    const form = parseForm(res.body, current)
    if (!form) return fail(ctx, o, 'no_login_form')
    const fields = { ...form.fields }
    if ('username' in fields || /name=["']?username/i.test(res.body)) fields.username = o.user.username
    if ('password' in fields || /name=["']?password/i.test(res.body)) fields.password = o.user.password
    fields.decision = 'approve'
    res = await step('authorize', { url: form.action, method: 'POST', body: new URLSearchParams(fields).toString() })
  }
  if (!location) return fail(ctx, o, 'no_redirect')
  const cb = new URL(location).searchParams
  if (cb.get('error')) return fail(ctx, o, cb.get('error')!)
  if (cb.get('state') !== state) return fail(ctx, o, 'state_mismatch')
  const iss = cb.get('iss')
  if (iss !== null && iss !== ctx.targets.issuer) return fail(ctx, o, 'iss_mismatch')
  const code = cb.get('code')
  if (!code) return fail(ctx, o, 'no_code')
  ctx.registerSecret(code)
  const token = await requestToken(ctx, {
    grant: 'authorization_code',
    form: { code, redirect_uri: redirectUri, code_verifier: verifier },
    client: o.client,
    intendedStart: ctx.now(),
    signal: o.signal,
    record: o.record,
  })
  return token.ok ? { ok: true, token } : { ok: false, reason: token.reason ?? 'token_failed', token }
}

function errorOf(res: HttpResponse): string | undefined {
  try {
    const j = JSON.parse(res.body) as { error?: unknown }
    return typeof j.error === 'string' ? j.error : undefined
  } catch {
    return undefined
  }
}

/** A flow-level check failed (no HTTP error): record it so the report shows it. */
function fail(ctx: FlowContext, o: LoginOptions, reason: string): LoginResult {
  const now = ctx.now()
  if (o.record) ctx.record('oauth_authorize', { endpoint: 'authorize', status: '0', reason }, now, now, now, true)
  return { ok: false, reason }
}
