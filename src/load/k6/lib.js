// oauth-gameday k6 script. Generated from a scenario; rerun it with plain `k6 run`.
// Secrets are never written into this file: they come from GAMEDAY_* environment
// variables (see the README next to it). Metric names and tags match the
// embedded engine: oauth_token_duration, oauth_token_failed, rs_request_duration,
// rs_request_failed, ... tagged with flow, endpoint, status, error, reason, target, grant.
import http from 'k6/http'
import { Counter, Rate, Trend } from 'k6/metrics'
import encoding from 'k6/encoding'
import crypto from 'k6/crypto'
//@@BROWSER_START
import { browser } from 'k6/browser'
//@@BROWSER_END

//@@CONFIG_START
/** Replaced by the generator: targets, clients (secrets as env names) and flows. */
const CONFIG = {
  issuer: 'http://127.0.0.1:9000',
  tokenEndpoint: 'http://127.0.0.1:9000/token',
  authorizationEndpoint: 'http://127.0.0.1:9000/authorize',
  introspectionEndpoint: 'http://127.0.0.1:9000/introspect',
  clients: { svc: { clientId: 'svc', secretEnv: 'GAMEDAY_SECRET_SVC', public: false, redirectUri: '' } },
  users: [{ username: 'alice', passwordEnv: 'GAMEDAY_PASSWORD_ALICE' }],
  resourceServers: { orders: { apiUrl: 'http://127.0.0.1:9101/api/orders', scope: 'orders:read' } },
  introspectionClient: 'rs',
  flows: {
    'client-credentials': {
      flow: 'client-credentials',
      client: 'svc',
      scope: 'orders:read',
      target: '',
      timeout: '10s',
    },
  },
}
export const options = { scenarios: {}, thresholds: {} }
//@@CONFIG_END

const metrics = {
  oauth_token: { duration: new Trend('oauth_token_duration', true), failed: new Rate('oauth_token_failed') },
  rs_request: { duration: new Trend('rs_request_duration', true), failed: new Rate('rs_request_failed') },
  oauth_authorize: {
    duration: new Trend('oauth_authorize_duration', true),
    failed: new Rate('oauth_authorize_failed'),
  },
  introspection: { duration: new Trend('introspection_duration', true), failed: new Rate('introspection_failed') },
  browser_login: { duration: new Trend('browser_login_duration', true), failed: new Rate('browser_login_failed') },
}
const reauthOn401 = new Counter('reauth_on_401')

/** @param {string} name */
function env(name) {
  const v = __ENV[name]
  if (v === undefined || v === '') throw new Error('environment variable ' + name + ' is not set')
  return v
}

/** @param {string} flowName */
function flowConfig(flowName) {
  const f = CONFIG.flows[flowName]
  if (!f) throw new Error('unknown flow ' + flowName)
  return f
}

function currentFlow() {
  return flowConfig(__ENV.GAMEDAY_FLOW || Object.keys(CONFIG.flows)[0] || '')
}

/**
 * @param {'oauth_token'|'rs_request'|'oauth_authorize'|'introspection'|'browser_login'} family
 * @param {number} durationMs
 * @param {boolean} failed
 * @param {Record<string, string>} tags
 */
function record(family, durationMs, failed, tags) {
  /** @type {Record<string, string>} */
  const t = {}
  for (const k of Object.keys(tags)) if (tags[k] !== undefined && tags[k] !== '') t[k] = String(tags[k])
  t.failed = failed ? 'true' : 'false'
  metrics[family].duration.add(durationMs, t)
  metrics[family].failed.add(failed, t)
}

/** @param {Record<string, string>} params */
function form(params) {
  return Object.keys(params)
    .filter((k) => params[k] !== undefined && params[k] !== '')
    .map((k) => encodeURIComponent(k) + '=' + encodeURIComponent(params[k]))
    .join('&')
}

/** @param {string} url @param {string} name */
function queryParam(url, name) {
  const m = new RegExp('[?&#]' + name + '=([^&#]*)').exec(url)
  return m ? decodeURIComponent(m[1].replace(/\+/g, ' ')) : undefined
}

/** @param {string | null | undefined} body */
function oauthError(body) {
  try {
    const j = JSON.parse(body || '{}')
    return typeof j.error === 'string' ? j.error : ''
  } catch (_e) {
    return ''
  }
}

//@@PURE_START
/** RS reasons the harness knows (mock-rs error_description): the embedded engine's RS_REASONS, kept equal by a test. */
const RS_REASONS = [
  'expired',
  'not_yet_valid',
  'bad_signature',
  'unknown_kid',
  'wrong_aud',
  'wrong_iss',
  'wrong_typ',
  'bad_alg',
  'malformed',
  'inactive',
  'validator_unavailable',
  'revoked',
  'insufficient_scope',
]

/**
 * Why an RS refused (status 400 and above), read as the embedded engine reads
 * it: `reason` is the Bearer challenge's error_description when the harness
 * knows it (RFC 6750 §3; values quoted or bare tokens), else
 * insufficient_scope on a 403, validator_unavailable on a 503, else unknown;
 * `error` is the challenge's error code ('' when none). Status 0 is a
 * transport failure.
 * @param {number} status @param {string | null | undefined} header
 * @returns {{ reason: string, error: string }}
 */
function rsFailure(status, header) {
  if (status === 0) return { reason: 'transport', error: '' }
  if (status < 400) return { reason: '', error: '' }
  /** @type {Record<string, string>} */
  const ch = {}
  const h = header || ''
  const re = /([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g
  for (let m = re.exec(h); m; m = re.exec(h))
    ch[m[1].toLowerCase()] = (m[2] !== undefined ? m[2] : m[3] || '').replace(/\\(.)/g, '$1')
  const d = ch.error_description
  const reason =
    d && RS_REASONS.indexOf(d) >= 0
      ? d
      : status === 403 && ch.error === 'insufficient_scope'
        ? 'insufficient_scope'
        : status === 503
          ? 'validator_unavailable'
          : 'unknown'
  return { reason: reason, error: ch.error || '' }
}
//@@PURE_END

/** @param {string} clientName */
function clientAuth(clientName) {
  const c = CONFIG.clients[clientName]
  if (!c) throw new Error('unknown client ' + clientName)
  if (c.public) return { headers: {}, body: { client_id: c.clientId } }
  const basic = encoding.b64encode(encodeURIComponent(c.clientId) + ':' + encodeURIComponent(env(c.secretEnv)))
  return { headers: { Authorization: 'Basic ' + basic }, body: {} }
}

/**
 * POST the token endpoint and record it.
 * @param {string} flow @param {string} clientName @param {Record<string, string>} params
 */
function tokenRequest(flow, clientName, params, timeout) {
  const auth = clientAuth(clientName)
  const body = Object.assign({}, auth.body, params)
  const res = http.post(CONFIG.tokenEndpoint, form(body), {
    headers: Object.assign({ 'Content-Type': 'application/x-www-form-urlencoded' }, auth.headers),
    timeout: timeout,
    tags: { name: 'token' },
  })
  const failed = res.status !== 200
  record('oauth_token', res.timings.duration, failed, {
    flow: flow,
    endpoint: 'token',
    status: String(res.status),
    grant: params.grant_type,
    error: failed ? oauthError(/** @type {string} */ (res.body)) : '',
  })
  if (failed) return null
  const json = /** @type {{access_token: string, refresh_token?: string, expires_in?: number}} */ (res.json())
  return json
}

export function clientCredentials() {
  const f = currentFlow()
  tokenRequest(
    f.name || 'client-credentials',
    f.client,
    { grant_type: 'client_credentials', scope: f.scope },
    f.timeout,
  )
}

// One token per VU (each VU has its own JS runtime), renewed ahead of expiry.
/** @type {{ token: string, expiresAt: number } | null} */
let vuToken = null

/** @param {{name?: string, client: string, scope: string, timeout: string}} f */
function ensureToken(f, force) {
  if (!force && vuToken && Date.now() < vuToken.expiresAt - 30000) return vuToken.token
  const json = tokenRequest(
    f.name || 'api-call',
    f.client,
    { grant_type: 'client_credentials', scope: f.scope },
    f.timeout,
  )
  if (!json) return null
  vuToken = { token: json.access_token, expiresAt: Date.now() + (json.expires_in || 300) * 1000 }
  return vuToken.token
}

export function apiCall() {
  const f = currentFlow()
  const rs = CONFIG.resourceServers[f.target]
  const token = ensureToken(f, false)
  if (!token) return
  for (let attempt = 0; attempt < 2; attempt++) {
    const t = attempt === 0 ? token : ensureToken(f, true)
    if (!t) return
    const res = http.get(rs.apiUrl, {
      headers: { Authorization: 'Bearer ' + t },
      timeout: f.timeout,
      tags: { name: 'api' },
    })
    const failed = res.status >= 400 || res.status === 0
    const why = rsFailure(res.status, res.headers['Www-Authenticate'])
    record('rs_request', res.timings.duration, failed, {
      flow: f.name || 'api-call',
      endpoint: 'api',
      status: String(res.status),
      target: f.target,
      reason: why.reason,
      error: why.error,
      token: 'valid',
    })
    if (res.status !== 401) return
    reauthOn401.add(1, { flow: f.name || 'api-call', reason: why.reason || 'unknown', target: f.target })
  }
}

/** A PKCE S256 login through the AS's login and consent form, without a browser. */
function authCodeLogin(f) {
  const c = CONFIG.clients[f.client]
  const user = CONFIG.users[0]
  const verifier = encoding.b64encode(crypto.randomBytes(32), 'rawurl')
  const challenge = encoding.b64encode(crypto.sha256(verifier, 'binary'), 'rawurl')
  const state = encoding.b64encode(crypto.randomBytes(16), 'rawurl')
  const flow = f.name || 'auth-code'
  const authorizeUrl =
    CONFIG.authorizationEndpoint +
    '?' +
    form({
      response_type: 'code',
      client_id: c.clientId,
      redirect_uri: c.redirectUri,
      scope: f.scope,
      state: state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    })
  const started = Date.now()
  const page = http.get(authorizeUrl, { redirects: 0, timeout: f.timeout, tags: { name: 'authorize' } })
  if (page.status !== 200) {
    record('oauth_authorize', page.timings.duration, true, {
      flow: flow,
      endpoint: 'authorize',
      status: String(page.status),
      reason: 'login_page_error',
    })
    return null
  }
  const doc = page.html()
  const action = doc.find('form').first().attr('action') || '/authorize'
  /** @type {Record<string, string>} */
  const fields = {}
  doc.find('input[type=hidden]').each((_i, el) => {
    const name = el.getAttribute('name')
    if (name) fields[name] = el.getAttribute('value') || ''
  })
  fields.username = user.username
  fields.password = env(user.passwordEnv)
  fields.decision = 'approve'
  const target = action.indexOf('http') === 0 ? action : CONFIG.issuer.replace(/\/$/, '') + action
  const submit = http.post(target, form(fields), {
    redirects: 0,
    timeout: f.timeout,
    tags: { name: 'authorize' },
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  })
  const location = submit.headers.Location || ''
  const code = queryParam(location, 'code')
  let reason = ''
  if (submit.status !== 302 && submit.status !== 303) reason = 'login_failed'
  else if (queryParam(location, 'error')) reason = queryParam(location, 'error') || 'error'
  else if (queryParam(location, 'state') !== state) reason = 'state_mismatch'
  else if (queryParam(location, 'iss') !== CONFIG.issuer) reason = 'iss_mismatch'
  else if (!code) reason = 'no_code'
  record('oauth_authorize', Date.now() - started, reason !== '', {
    flow: flow,
    endpoint: 'authorize',
    status: String(submit.status),
    reason: reason,
  })
  if (reason || !code) return null
  return tokenRequest(
    flow,
    f.client,
    { grant_type: 'authorization_code', code: code, redirect_uri: c.redirectUri, code_verifier: verifier },
    f.timeout,
  )
}

export function authCode() {
  authCodeLogin(currentFlow())
}

/** @type {string | null} */
let vuRefreshToken = null

export function refresh() {
  const f = currentFlow()
  if (!vuRefreshToken) {
    const tokens = authCodeLogin(f)
    vuRefreshToken = tokens && tokens.refresh_token ? tokens.refresh_token : null
    return
  }
  const json = tokenRequest(
    f.name || 'refresh',
    f.client,
    { grant_type: 'refresh_token', refresh_token: vuRefreshToken },
    f.timeout,
  )
  vuRefreshToken = json && json.refresh_token ? json.refresh_token : null
}

export function introspection() {
  const f = currentFlow()
  const token = ensureToken(f, false)
  if (!token) return
  if (f.target) {
    const rs = CONFIG.resourceServers[f.target]
    const res = http.get(rs.apiUrl, {
      headers: { Authorization: 'Bearer ' + token },
      timeout: f.timeout,
      tags: { name: 'api' },
    })
    const failed = res.status >= 400 || res.status === 0
    const why = rsFailure(res.status, res.headers['Www-Authenticate'])
    record('rs_request', res.timings.duration, failed, {
      flow: f.name || 'introspection',
      endpoint: 'api',
      status: String(res.status),
      target: f.target,
      reason: why.reason,
      error: why.error,
      token: 'valid',
    })
    return
  }
  const auth = clientAuth(CONFIG.introspectionClient)
  const res = http.post(CONFIG.introspectionEndpoint, form({ token: token }), {
    headers: Object.assign({ 'Content-Type': 'application/x-www-form-urlencoded' }, auth.headers),
    timeout: f.timeout,
    tags: { name: 'introspect' },
  })
  let active = false
  try {
    active = res.status === 200 && /** @type {{active: boolean}} */ (res.json()).active === true
  } catch (_e) {
    active = false
  }
  record('introspection', res.timings.duration, !active, {
    flow: f.name || 'introspection',
    endpoint: 'introspect',
    status: String(res.status),
  })
}

//@@BROWSER_START
/** The same login in a real browser (k6/browser): authorize page, login form, consent, redirect. */
export async function browserLogin() {
  const f = currentFlow()
  const c = CONFIG.clients[f.client]
  const user = CONFIG.users[0]
  const verifier = encoding.b64encode(crypto.randomBytes(32), 'rawurl')
  const challenge = encoding.b64encode(crypto.sha256(verifier, 'binary'), 'rawurl')
  const state = encoding.b64encode(crypto.randomBytes(16), 'rawurl')
  const flow = f.name || 'browser-login'
  const context = await browser.newContext()
  const page = await context.newPage()
  const started = Date.now()
  let reason = ''
  let location = ''
  try {
    await page.goto(
      CONFIG.authorizationEndpoint +
        '?' +
        form({
          response_type: 'code',
          client_id: c.clientId,
          redirect_uri: c.redirectUri,
          scope: f.scope,
          state: state,
          code_challenge: challenge,
          code_challenge_method: 'S256',
        }),
    )
    await page.locator('input[name="username"]').fill(user.username)
    await page.locator('input[name="password"]').fill(env(user.passwordEnv))
    await page.route(c.redirectUri + '*', async (route) => {
      location = route.request().url()
      await route.fulfill({ status: 200, body: 'ok' })
    })
    await Promise.all([page.waitForNavigation(), page.locator('button[name="decision"][value="approve"]').click()])
    if (!location) location = page.url()
    if (queryParam(location, 'error'))
      reason = queryParam(location, 'error') === 'access_denied' ? 'consent_denied' : 'authorize_error'
    else if (queryParam(location, 'state') !== state) reason = 'state_mismatch'
    else if (queryParam(location, 'iss') !== CONFIG.issuer) reason = 'iss_mismatch'
  } catch (_e) {
    reason = 'login_page_error'
  } finally {
    await page.close()
    await context.close()
  }
  const code = queryParam(location, 'code')
  if (!reason && code) {
    const tokens = tokenRequest(
      flow,
      f.client,
      { grant_type: 'authorization_code', code: code, redirect_uri: c.redirectUri, code_verifier: verifier },
      f.timeout,
    )
    if (!tokens) reason = 'invalid_grant'
  }
  record('browser_login', Date.now() - started, reason !== '', {
    flow: flow,
    endpoint: 'browser-login',
    status: reason ? 'failed' : 'ok',
    reason: reason,
  })
}
//@@BROWSER_END
