/**
 * `browser-login`: a person signing in to a single-page app, in a real
 * Chromium (playwright-core driving Debian's chromium; never a downloaded
 * browser). Opens the public client's authorization URL with a fresh PKCE
 * S256 pair and state (RFC 7636, RFC 9700 §2.1.1), fills the AS's login form,
 * approves consent, catches the redirect on a loopback callback server
 * (RFC 8252 §7.3: any port for loopback IP redirects of native/public
 * clients), checks `state` and `iss` (RFC 9207), exchanges the code and calls
 * a resource server with the token.
 *
 * Browsers are pooled and bounded (the flow's maxVUs, default 2); every
 * iteration gets a fresh context, so no cookie leaks between virtual users.
 * Timings go to `browser_login` with `endpoint` = `login-page`, `submit`,
 * `code-exchange` and `total`; failures carry a `reason`: login_page_error,
 * consent_denied, state_mismatch, iss_mismatch, invalid_grant, callback_timeout.
 */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { GamedayError } from '../../errors.ts'
import type { ClientCredentials } from '../../runtime/types.ts'
import { authorizationUrl, readCallback } from '../../oauth/authorize.ts'
import { pkcePair } from '../../oauth/pkce.ts'
import { clientFor, requestToken, rsReason } from './oauth.ts'
import type { FlowContext, FlowDefinition, VuContext } from './types.ts'

/** Chromium flags that work as root, without a GPU and on a closed network. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
]
const MAX_SCREENSHOTS = 5

/** The Chromium binary: CHROMIUM_PATH, else Debian's. */
export function chromiumPath(): string | undefined {
  for (const p of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'])
    if (p && existsSync(p)) return p
  return undefined
}

/** A bounded pool of browsers, launched lazily; `acquire` waits for a free one. */
export class BrowserPool {
  readonly #size: number
  readonly #free: Browser[] = []
  readonly #waiters: Array<(b: Browser) => void> = []
  readonly #all: Browser[] = []
  #launching = 0
  #closed = false

  constructor(size: number) {
    this.#size = Math.max(1, size)
  }

  async acquire(signal?: AbortSignal): Promise<Browser> {
    if (this.#closed) throw new GamedayError('ERR_BROWSER_FAILED', 'browser pool is closed')
    const free = this.#free.pop()
    if (free) return free
    if (this.#all.length + this.#launching < this.#size) {
      this.#launching++
      try {
        const exe = chromiumPath()
        if (!exe)
          throw new GamedayError('ERR_ENV_CHROMIUM_NOT_FOUND', 'no Chromium found (CHROMIUM_PATH, /usr/bin/chromium)')
        // loaded on first launch: importing playwright-core costs about 1 s of CPU, which every load worker paid at start-up
        const { chromium } = await import('playwright-core')
        const b = await chromium.launch({ executablePath: exe, args: CHROMIUM_ARGS, headless: true })
        this.#all.push(b)
        return b
      } finally {
        this.#launching--
      }
    }
    return await new Promise<Browser>((resolve, reject) => {
      const waiter = (b: Browser) => {
        signal?.removeEventListener('abort', onAbort)
        resolve(b)
      }
      const onAbort = () => {
        const i = this.#waiters.indexOf(waiter)
        if (i !== -1) this.#waiters.splice(i, 1)
        reject(new Error('aborted'))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiters.push(waiter)
    })
  }

  release(b: Browser): void {
    const w = this.#waiters.shift()
    if (w) w(b)
    else this.#free.push(b)
  }

  async close(): Promise<void> {
    this.#closed = true
    await Promise.allSettled(this.#all.map((b) => b.close()))
    this.#all.length = 0
  }
}

/** A loopback callback server: the redirect target; it only shows a short page. */
export async function startCallbackServer(): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    res.writeHead(req.url?.startsWith('/cb') ? 200 : 404, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
    })
    res.end('<!doctype html><title>signed in</title><p>You may close this window.</p>')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const addr = server.address()
  const port = typeof addr === 'object' && addr ? addr.port : 0
  return { server, base: `http://127.0.0.1:${port}` }
}

/** The redirect URI to use: the client's registered one, moved to the callback server's port when it is a loopback IP. */
export function callbackUri(client: ClientCredentials, base: string): string {
  const registered = client.redirectUris[0]
  if (!registered)
    throw new GamedayError(
      'ERR_SCENARIO_INVALID',
      `load.flows: client ${JSON.stringify(client.clientId)} has no redirect URI for browser-login`,
    )
  const r = new URL(registered)
  if (!client.public || !['127.0.0.1', '[::1]'].includes(r.hostname)) return registered
  const b = new URL(base)
  r.port = b.port
  return r.toString()
}

/** Mask `code` and `state` in a URL before it is written anywhere. */
export function redactUrl(url: string): string {
  return url.replace(/([?&#](?:code|state|code_verifier|access_token|id_token)=)[^&#]*/g, '$1[redacted]')
}

export interface BrowserState {
  pool: BrowserPool
  callback: { server: Server; base: string }
  screenshots: number
}

export interface BrowserLoginOptions {
  /** `deny` drives the consent refusal path (tests). */
  decision?: 'approve' | 'deny'
  /** Rewrite the authorization URL before the browser opens it (tests). */
  authorizeUrl?: (url: string) => string
}

/** Outcome of one login, with the failure classification. */
export interface BrowserLoginResult {
  ok: boolean
  reason?:
    | 'login_page_error'
    | 'consent_denied'
    | 'state_mismatch'
    | 'iss_mismatch'
    | 'invalid_grant'
    | 'callback_timeout'
    | 'authorize_error'
    | 'rs_rejected'
  accessToken?: string
}

/** One browser login; records its timings and never throws. */
export async function browserLogin(
  ctx: FlowContext,
  vu: Pick<VuContext, 'intendedStart' | 'signal'>,
  state: BrowserState,
  options: BrowserLoginOptions = {},
): Promise<BrowserLoginResult> {
  const client = clientFor(ctx.targets, ctx.config.client ?? 'spa')
  const user = ctx.targets.users[0]
  if (!user) return { ok: false, reason: 'login_page_error' }
  const redirectUri = callbackUri(client, state.callback.base)
  const { verifier, challenge } = pkcePair()
  const sentState = randomBytes(16).toString('base64url')
  const scope = ctx.config.scope ?? client.scopes[0] ?? ''
  let url = authorizationUrl(
    ctx.targets,
    { clientId: client.clientId, redirectUri, codeChallenge: challenge, ...(scope ? { scope } : {}) },
    sentState,
  ).href
  if (options.authorizeUrl) url = options.authorizeUrl(url)

  const record = (endpoint: string, start: number, end: number, failed: boolean, reason?: string, intended = start) =>
    ctx.record(
      'browser_login',
      { endpoint, status: failed ? 'failed' : 'ok', ...(reason ? { reason } : {}) },
      intended,
      start,
      end,
      failed,
    )

  let browser: Browser | undefined
  const acquiredAt = ctx.now()
  let result: BrowserLoginResult = { ok: false, reason: 'login_page_error' }
  let page: import('playwright-core').Page | undefined
  let context: import('playwright-core').BrowserContext | undefined
  try {
    browser = await state.pool.acquire(vu.signal)
    context = await browser.newContext()
    page = await context.newPage()
    page.setDefaultTimeout(ctx.timeoutMs)
    const tOpen = ctx.now()
    const res = await page.goto(url, { waitUntil: 'domcontentloaded' })
    const hasForm = (await page.locator('input[name="username"]').count()) > 0
    const tLogin = ctx.now()
    const loginOk = res !== null && res.status() === 200 && hasForm
    record('login-page', tOpen, tLogin, !loginOk, loginOk ? undefined : 'login_page_error', vu.intendedStart)
    if (!loginOk) throw new Error('login page did not show the form')

    await page.locator('input[name="username"]').fill(user.username)
    await page.locator('input[name="password"]').fill(user.password)
    const tSubmit = ctx.now()
    const callbackPrefix = redirectUri.split('?')[0]!
    const landed = page
      .waitForURL((u) => u.toString().startsWith(callbackPrefix), { timeout: ctx.timeoutMs })
      .then(
        () => true,
        () => false,
      )
    await page.locator(`button[name="decision"][value="${options.decision ?? 'approve'}"]`).click()
    const arrived = await landed
    const tRedirect = ctx.now()
    const cb = readCallback(new URL(page.url()), sentState, ctx.targets.issuer)
    let reason: BrowserLoginResult['reason']
    if (!arrived) reason = 'callback_timeout'
    else if (cb.error === 'state_mismatch' || cb.error === 'iss_mismatch') reason = cb.error
    else if (cb.error !== undefined) reason = cb.error === 'access_denied' ? 'consent_denied' : 'authorize_error'
    record('submit', tSubmit, tRedirect, reason !== undefined, reason)
    if (reason) {
      result = { ok: false, reason }
    } else {
      const code = cb.code ?? ''
      const tExchange = ctx.now()
      const tokens = await requestToken(ctx, {
        grant: 'authorization_code',
        client,
        intendedStart: tExchange,
        signal: vu.signal,
        form: { code, redirect_uri: redirectUri, code_verifier: verifier },
        tags: { phase: 'browser-login' },
      })
      record('code-exchange', tExchange, ctx.now(), !tokens.ok, tokens.ok ? undefined : 'invalid_grant')
      result = tokens.ok ? { ok: true, accessToken: tokens.accessToken! } : { ok: false, reason: 'invalid_grant' }
    }
  } catch (err) {
    if (!result.reason) result = { ok: false, reason: 'login_page_error' }
    if (err instanceof GamedayError && err.code === 'ERR_ENV_CHROMIUM_NOT_FOUND') ctx.warn(err.message)
  }
  if (!result.ok && page && ctx.artifactsDir && state.screenshots < MAX_SCREENSHOTS) {
    state.screenshots++
    const n = state.screenshots
    try {
      const dir = join(ctx.artifactsDir, 'screenshots')
      await mkdir(dir, { recursive: true })
      await page.screenshot({ path: join(dir, `browser-login-${n}.png`) })
      await writeFile(join(dir, `browser-login-${n}.txt`), `${result.reason}\n${redactUrl(page.url())}\n`)
    } catch {
      // a screenshot is a courtesy; the failure is already recorded
    }
  }
  await context?.close().catch(() => undefined)
  if (browser) state.pool.release(browser)
  record('total', acquiredAt, ctx.now(), !result.ok, result.reason, vu.intendedStart)

  // With the token in hand, the SPA calls its API.
  if (result.ok && result.accessToken && ctx.config.target) {
    const rs = ctx.targets.resourceServers.find((r) => r.name === ctx.config.target)
    if (rs) {
      const start = ctx.now()
      try {
        const res = await ctx.http.request({
          url: rs.apiUrl,
          method: 'GET',
          headers: { authorization: `Bearer ${result.accessToken}` },
          timeoutMs: ctx.timeoutMs,
          signal: vu.signal,
        })
        const failed = res.status >= 400
        ctx.record(
          'rs_request',
          {
            endpoint: 'api',
            status: String(res.status),
            target: rs.name,
            reason: failed ? rsReason(res) : undefined,
            token: 'valid',
          },
          start,
          start,
          ctx.now(),
          failed,
        )
        if (failed) result = { ok: false, reason: 'rs_rejected' }
      } catch {
        ctx.record(
          'rs_request',
          { endpoint: 'api', status: '0', target: rs.name, reason: 'transport_error', token: 'valid' },
          start,
          start,
          ctx.now(),
          true,
        )
      }
    }
  }
  return result
}

export const browserLoginFlow: FlowDefinition<BrowserState> = {
  id: 'browser-login',
  summary: 'authorization code + PKCE login in headless Chromium through the real login and consent page',
  async setup(ctx) {
    if (!chromiumPath()) {
      throw new GamedayError('ERR_ENV_CHROMIUM_NOT_FOUND', `load.flows: ${ctx.name} needs Chromium and none was found`)
    }
    clientFor(ctx.targets, ctx.config.client ?? 'spa')
    return { pool: new BrowserPool(ctx.config.maxVUs ?? 2), callback: await startCallbackServer(), screenshots: 0 }
  },
  async iteration(ctx, vu, state) {
    await browserLogin(ctx, vu, state)
  },
  async teardown(_ctx, state) {
    await state.pool.close()
    await new Promise<void>((resolve) => state.callback.server.close(() => resolve()))
  },
}
