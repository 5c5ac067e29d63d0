/**
 * Device authorization (RFC 8628): POST /device_authorization issues a
 * device_code and a short user_code (§3.2, §6.1: unambiguous consonants);
 * GET/POST /device is the verification page where a user signs in, enters
 * the user_code and approves or denies (CSRF-protected like /authorize).
 */
import { randomBytes, randomInt } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { type AsContext, authenticateClient, checkResources, resolveScope, safeEqual } from '../context.ts'
import { formBody, type Params, queryParams } from '../form.ts'
import { HTML_HEADERS, cookie, esc, page } from '../html.ts'
import { OAuthError } from '../oauth-error.ts'
import { checkUser } from './authorize.ts'
import { DEVICE_GRANT } from './token.ts'

const ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ'
const CSRF_COOKIE = 'mock_as_device_csrf'
const REPEATABLE = new Set(['resource'])

function userCode(): string {
  let s = ''
  for (let i = 0; i < 8; i++) s += ALPHABET[randomInt(ALPHABET.length)]
  return `${s.slice(0, 4)}-${s.slice(4)}`
}

/** Users type codes loosely: ignore case, dashes and spaces. */
const normalize = (s: string) => s.toUpperCase().replace(/[^A-Z]/g, '')

function devicePage(csrf: string, prefill: string, message?: string, isError = false): string {
  return page(
    'Connect a device',
    `${message ? `<p class="${isError ? 'error' : 'info'}" role="${isError ? 'alert' : 'status'}">${esc(message)}</p>` : ''}
<form method="post" action="device">
<input type="hidden" name="csrf" value="${esc(csrf)}">
<label>Code shown on your device <input name="user_code" value="${esc(prefill)}" required></label>
<label>Username <input name="username" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>`,
  )
}

export function deviceRoutes(app: FastifyInstance, ctx: AsContext): void {
  app.post('/device_authorization', async (req: FastifyRequest, reply: FastifyReply) => {
    reply.header('cache-control', 'no-store')
    const multi = new Map<string, string[]>()
    const params = formBody(req, REPEATABLE, multi)
    const client = authenticateClient(ctx, req, params, { allowPublic: true })
    if (!client.grantTypes.includes(DEVICE_GRANT))
      throw new OAuthError('unauthorized_client', 'client may not use the device grant')
    const scope = resolveScope(client, params.get('scope'))
    const resource = checkResources(multi.get('resource') ?? [])
    const deviceCode = randomBytes(32).toString('base64url')
    let code = userCode()
    while (ctx.store.userCodes.has(normalize(code))) code = userCode()
    const ttlS = Math.floor(ctx.ttl.deviceCode / 1000)
    ctx.store.devices.set(deviceCode, {
      deviceCode,
      userCode: normalize(code),
      clientId: client.clientId,
      scope,
      resource,
      exp: ctx.clock.now() + ctx.ttl.deviceCode,
      intervalMs: ctx.ttl.devicePoll,
      status: 'pending',
    })
    ctx.store.userCodes.set(normalize(code), deviceCode)
    const verificationUri = `${ctx.issuer}/device`
    return {
      device_code: deviceCode,
      user_code: code,
      verification_uri: verificationUri,
      verification_uri_complete: `${verificationUri}?user_code=${encodeURIComponent(code)}`,
      expires_in: ttlS,
      interval: Math.ceil(ctx.ttl.devicePoll / 1000),
    }
  })

  app.get('/device', async (req: FastifyRequest, reply: FastifyReply) => {
    let q: Params
    try {
      q = queryParams(req)
    } catch {
      q = new Map()
    }
    const csrf = randomBytes(24).toString('base64url')
    return reply
      .headers(HTML_HEADERS)
      .header('set-cookie', `${CSRF_COOKIE}=${csrf}; Path=/; HttpOnly; SameSite=Lax; Max-Age=600`)
      .send(devicePage(csrf, q.get('user_code') ?? ''))
  })

  app.post('/device', async (req: FastifyRequest, reply: FastifyReply) => {
    let f: Params
    try {
      f = formBody(req)
    } catch (e) {
      return reply
        .code(400)
        .headers(HTML_HEADERS)
        .send(
          page('Connect a device', `<p class="error">${esc((e as OAuthError).description ?? 'malformed request')}</p>`),
        )
    }
    const csrf = f.get('csrf')
    const csrfCookie = cookie(req.headers.cookie, CSRF_COOKIE)
    if (csrf === undefined || csrfCookie === undefined || !safeEqual(csrf, csrfCookie)) {
      return reply
        .code(403)
        .headers(HTML_HEADERS)
        .send(
          page(
            'Connect a device',
            '<p class="error">the form could not be verified (CSRF check failed); reload the page</p>',
          ),
        )
    }
    const entered = f.get('user_code') ?? ''
    const deviceCode = ctx.store.userCodes.get(normalize(entered))
    const rec = deviceCode !== undefined ? ctx.store.devices.get(deviceCode) : undefined
    const again = (status: number, message: string) =>
      reply
        .code(status)
        .headers(HTML_HEADERS)
        .send(devicePage(csrf, entered, message, true))
    if (rec?.status !== 'pending' || rec.exp <= ctx.clock.now()) return again(400, 'unknown or expired code')
    const decision = f.get('decision')
    if (decision !== 'approve' && decision !== 'deny') return again(400, 'decision must be approve or deny')
    const sub = checkUser(ctx, f.get('username'), f.get('password'))
    if (!sub) return again(401, 'invalid username or password')
    rec.status = decision === 'approve' ? 'approved' : 'denied'
    if (decision === 'approve') rec.sub = sub
    ctx.store.userCodes.delete(rec.userCode)
    return reply
      .headers(HTML_HEADERS)
      .send(
        page(
          'Connect a device',
          `<p role="status">${decision === 'approve' ? 'Device approved. You can return to your device.' : 'Request denied.'}</p>`,
        ),
      )
  })
}
