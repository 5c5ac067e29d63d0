/**
 * GET/POST /authorize (RFC 6749 §4.1.1–4.1.2) — authorization code only.
 * PKCE S256 required for public clients and accepted for confidential ones;
 * `plain` refused (RFC 9700 §2.1.1). Exact redirect_uri matching, with port
 * variance only for loopback IP redirects of public (native) clients
 * (RFC 9700 §4.1.3, RFC 8252 §7.3). Every authorization response carries
 * `iss` (RFC 9207). A bad client_id or redirect_uri is shown on the page,
 * never redirected (§4.1.2.1). The login+consent form is CSRF-protected by a
 * per-transaction token bound to an HttpOnly SameSite cookie. A
 * `request_uri` from /par (RFC 9126) stands for the pushed parameters.
 */
import { randomBytes } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ClientConfig } from '../config.ts'
import { type AsContext, checkResources, newId, resolveScope, safeEqual } from '../context.ts'
import { formBody, type Params, queryParams } from '../form.ts'
import { HTML_HEADERS, cookie, esc, loginPageHeaders, page } from '../html.ts'
import type { OAuthError } from '../oauth-error.ts'
import type { Transaction } from '../store.ts'
import { requiresPar, takePushed } from './par.ts'

const CSRF_COOKIE = 'mock_as_csrf'
const CHALLENGE = /^[A-Za-z0-9._~-]{43,128}$/
const TXN_TTL_MS = 10 * 60_000
const REPEATABLE = new Set(['resource'])

function isLoopbackIp(host: string): boolean {
  return host === '127.0.0.1' || host === '[::1]'
}

/** Exact match, or loopback IP with any port for public (native) clients. */
export function redirectMatches(client: ClientConfig, uri: string): boolean {
  if (client.redirectUris.includes(uri)) return true
  if (!client.public) return false
  let u: URL
  try {
    u = new URL(uri)
  } catch {
    return false
  }
  if (u.protocol !== 'http:' || !isLoopbackIp(u.hostname)) return false
  return client.redirectUris.some((r) => {
    try {
      const ru = new URL(r)
      return (
        ru.protocol === 'http:' &&
        isLoopbackIp(ru.hostname) &&
        ru.hostname === u.hostname &&
        ru.pathname === u.pathname &&
        ru.search === u.search &&
        !u.hash
      )
    } catch {
      return false
    }
  })
}

function errorPage(reply: FastifyReply, status: number, message: string) {
  return reply
    .code(status)
    .headers(HTML_HEADERS)
    .send(page('Authorization error', `<p class="error">${esc(message)}</p>`))
}

function redirectWith(
  reply: FastifyReply,
  ctx: AsContext,
  redirectUri: string,
  params: Record<string, string | undefined>,
  status = 302,
) {
  const u = new URL(redirectUri)
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.append(k, v)
  u.searchParams.append('iss', ctx.issuer)
  return reply.code(status).header('cache-control', 'no-store').header('location', u.toString()).send()
}

function loginForm(txn: Transaction, client: ClientConfig, error?: string): string {
  const scopes = txn.scope
    ? txn.scope
        .split(' ')
        .map((s) => `<li>${esc(s)}</li>`)
        .join('')
    : '<li>(no scope)</li>'
  return page(
    'Sign in',
    `<p><strong>${esc(client.clientId)}</strong> asks for access to:</p><ul>${scopes}</ul>
${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}
<form method="post" action="authorize">
<input type="hidden" name="txn" value="${esc(txn.id)}">
<input type="hidden" name="csrf" value="${esc(txn.csrf)}">
<label>Username <input name="username" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny" formnovalidate>Deny</button>
</form>`,
  )
}

export function checkUser(
  ctx: AsContext,
  username: string | undefined,
  password: string | undefined,
): string | undefined {
  if (username === undefined || password === undefined) return undefined
  const expected = ctx.users.get(username)
  // compare even for unknown users so timing does not reveal which usernames exist
  const ok = safeEqual(password, expected ?? `\u0000${password}`)
  return ok && expected !== undefined ? username : undefined
}

export function authorizeRoutes(app: FastifyInstance, ctx: AsContext): void {
  app.get('/authorize', async (req: FastifyRequest, reply: FastifyReply) => {
    let q: Params
    const multi = new Map<string, string[]>()
    try {
      q = queryParams(req, REPEATABLE, multi)
    } catch (e) {
      return errorPage(reply, 400, (e as OAuthError).description ?? 'malformed request')
    }
    const clientId = q.get('client_id')
    const client = clientId !== undefined ? ctx.clients.get(clientId) : undefined
    if (!client) return errorPage(reply, 400, clientId === undefined ? 'client_id is required' : 'unknown client_id')
    // RFC 9126 §4: a pushed request replaces the query (routes/par.ts)
    const requestUri = q.get('request_uri')
    if (requestUri !== undefined) {
      const pushed = takePushed(ctx, requestUri, client.clientId)
      if ('error' in pushed) return errorPage(reply, 400, pushed.error)
      q = pushed.params
      multi.clear()
      multi.set('resource', pushed.resource)
    } else if (requiresPar(client))
      return errorPage(reply, 400, 'this client must push its authorization request to /par first (RFC 9126)')
    let redirectUri = q.get('redirect_uri')
    const redirectUriSent = redirectUri !== undefined
    if (redirectUri === undefined) {
      if (client.redirectUris.length !== 1) return errorPage(reply, 400, 'redirect_uri is required')
      redirectUri = client.redirectUris[0]!
    } else if (!redirectMatches(client, redirectUri)) {
      return errorPage(reply, 400, 'redirect_uri is not registered for this client')
    }
    const state = q.get('state')
    const fail = (error: string, description: string) =>
      redirectWith(reply, ctx, redirectUri, { error, error_description: description, state })
    const responseType = q.get('response_type')
    if (responseType === undefined) return fail('invalid_request', 'response_type is required')
    if (responseType !== 'code') return fail('unsupported_response_type', 'only response_type=code is supported')
    if (!client.grantTypes.includes('authorization_code'))
      return fail('unauthorized_client', 'client may not use authorization_code')
    const challenge = q.get('code_challenge')
    const method = q.get('code_challenge_method')
    if (challenge === undefined) {
      if (client.public) return fail('invalid_request', 'code_challenge is required for public clients (PKCE S256)')
      if (method !== undefined) return fail('invalid_request', 'code_challenge_method without code_challenge')
    } else {
      if (method !== 'S256')
        return fail(
          'invalid_request',
          method === undefined
            ? 'code_challenge_method=S256 is required (plain is refused)'
            : `code_challenge_method ${JSON.stringify(method.slice(0, 20))} is refused; use S256`,
        )
      if (!CHALLENGE.test(challenge)) return fail('invalid_request', 'code_challenge is malformed')
    }
    let scope: string
    let resource: string[]
    try {
      scope = resolveScope(client, q.get('scope'))
      resource = checkResources(ctx, multi.get('resource') ?? [])
    } catch (e) {
      const err = e as OAuthError
      return fail(err.error, err.description)
    }
    const txn: Transaction = {
      id: newId(),
      csrf: randomBytes(24).toString('base64url'),
      exp: ctx.clock.base() + TXN_TTL_MS,
      clientId: client.clientId,
      redirectUri,
      redirectUriSent,
      scope,
      resource,
      ...(state !== undefined ? { state } : {}),
      ...(challenge !== undefined ? { codeChallenge: challenge } : {}),
    }
    ctx.store.transactions.set(txn.id, txn)
    return reply
      .headers(loginPageHeaders(txn.redirectUri))
      .header('set-cookie', `${CSRF_COOKIE}=${txn.csrf}; Path=/; HttpOnly; SameSite=Lax; Max-Age=600`)
      .send(loginForm(txn, client))
  })

  app.post('/authorize', async (req: FastifyRequest, reply: FastifyReply) => {
    let f: Params
    try {
      f = formBody(req)
    } catch (e) {
      return errorPage(reply, 400, (e as OAuthError).description ?? 'malformed request')
    }
    const txnId = f.get('txn')
    const txn = txnId !== undefined ? ctx.store.transactions.get(txnId) : undefined
    if (!txn || txn.exp <= ctx.clock.base())
      return errorPage(reply, 400, 'this sign-in has expired; start again from the application')
    const csrf = f.get('csrf')
    const csrfCookie = cookie(req.headers.cookie, CSRF_COOKIE)
    if (
      csrf === undefined ||
      csrfCookie === undefined ||
      !safeEqual(csrf, txn.csrf) ||
      !safeEqual(csrfCookie, txn.csrf)
    ) {
      return errorPage(reply, 403, 'the form could not be verified (CSRF check failed); start again')
    }
    const client = ctx.clients.get(txn.clientId)!
    const decision = f.get('decision')
    if (decision === 'deny') {
      ctx.store.transactions.delete(txn.id)
      return redirectWith(
        reply,
        ctx,
        txn.redirectUri,
        { error: 'access_denied', error_description: 'the user denied the request', state: txn.state },
        303,
      )
    }
    if (decision !== 'approve') return errorPage(reply, 400, 'decision must be approve or deny')
    const sub = checkUser(ctx, f.get('username'), f.get('password'))
    if (!sub)
      return reply
        .code(401)
        .headers(loginPageHeaders(txn.redirectUri))
        .send(loginForm(txn, client, 'invalid username or password'))
    ctx.store.transactions.delete(txn.id)
    const code = randomBytes(32).toString('base64url')
    ctx.store.codes.set(code, {
      clientId: client.clientId,
      redirectUri: txn.redirectUri,
      redirectUriSent: txn.redirectUriSent,
      scope: txn.scope,
      resource: txn.resource,
      sub,
      exp: ctx.clock.now() + ctx.ttl.code,
      used: false,
      grantId: newId(),
      ...(txn.codeChallenge !== undefined ? { codeChallenge: txn.codeChallenge } : {}),
    })
    return redirectWith(reply, ctx, txn.redirectUri, { code, state: txn.state }, 303)
  })
}
