// oauth-gameday k6 script. Generated from a scenario; rerun it with plain `k6 run`.
// Secrets are never written into this file: they come from GAMEDAY_* environment
// variables (see the README next to it). Metric names and tags match the
// embedded engine: oauth_token_duration, oauth_token_failed, rs_request_duration,
// rs_request_failed, ... tagged with flow, endpoint, status, error, reason, target, grant.
import http from 'k6/http'
import { Counter, Rate, Trend } from 'k6/metrics'
import encoding from 'k6/encoding'
import k6crypto from 'k6/crypto'
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
  parEndpoint: 'http://127.0.0.1:9000/par',
  clients: {
    svc: {
      clientId: 'svc',
      secretEnv: 'GAMEDAY_SECRET_SVC',
      public: false,
      redirectUri: '',
      authMethod: '',
      keyEnv: '',
      alg: '',
      kid: '',
    },
  },
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
      dpop: false,
      clientAuth: '',
      assertionAudience: '',
      par: false,
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
const dpopNonceRetries = new Counter('dpop_nonce_retries')
const dpopProofRejections = new Counter('dpop_proof_rejections')

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

//@@DPOP_START
// DPoP (RFC 9449) with k6's global WebCrypto (`crypto.subtle`, k6 v1.0 and later; see
// docs/k6.md). Plain JS without k6 imports, so a test runs this very code in Node, whose
// global `crypto` is WebCrypto too, and checks the proofs with jose.

/** @param {string} s ASCII text (base64url, JSON of base64url and URLs, tokens) as bytes */
function asciiBytes(s) {
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff
  return out
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
/** @param {ArrayBuffer | Uint8Array} buf base64url without padding */
function b64url(buf) {
  const b = buf instanceof Uint8Array ? buf : new Uint8Array(buf)
  let s = ''
  let i = 0
  for (; i + 2 < b.length; i += 3) {
    const n = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2]
    s += B64URL[(n >> 18) & 63] + B64URL[(n >> 12) & 63] + B64URL[(n >> 6) & 63] + B64URL[n & 63]
  }
  if (i < b.length) {
    const n = (b[i] << 16) | ((i + 1 < b.length ? b[i + 1] : 0) << 8)
    s += B64URL[(n >> 18) & 63] + B64URL[(n >> 12) & 63]
    if (i + 1 < b.length) s += B64URL[(n >> 6) & 63]
  }
  return s
}

/**
 * A fresh ES256 DPoP key: the private CryptoKey, the encoded proof header
 * (with the public JWK) and the RFC 7638 thumbprint tokens get bound to.
 * @returns {Promise<{ privateKey: CryptoKey, header: string, jkt: string }>}
 */
async function newDpopKey() {
  const pair = /** @type {CryptoKeyPair} */ (
    await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])
  )
  const jwk = await crypto.subtle.exportKey('jwk', pair.publicKey)
  // RFC 7638: the required members in lexicographic order, no whitespace
  const pub = { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
  const jkt = b64url(await crypto.subtle.digest('SHA-256', asciiBytes(JSON.stringify(pub))))
  const header = b64url(asciiBytes(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: pub })))
  return { privateKey: pair.privateKey, header: header, jkt: jkt }
}

/**
 * A DPoP proof for `htm url` (query and fragment dropped), with the server's
 * nonce when there is one and `ath` when an access token goes with it.
 * @param {{ privateKey: CryptoKey, header: string }} key @param {string} htm @param {string} url
 * @param {string | undefined} nonce @param {string} [accessToken]
 */
async function dpopProof(key, htm, url, nonce, accessToken) {
  /** @type {Record<string, string | number>} */
  const claims = {
    jti: b64url(crypto.getRandomValues(new Uint8Array(16))),
    htm: htm,
    htu: url.split(/[?#]/)[0],
    iat: Math.floor(Date.now() / 1000),
  }
  if (accessToken) claims.ath = b64url(await crypto.subtle.digest('SHA-256', asciiBytes(accessToken)))
  if (nonce) claims.nonce = nonce
  const input = key.header + '.' + b64url(asciiBytes(JSON.stringify(claims)))
  // WebCrypto's ECDSA signature is the raw r||s (IEEE P1363: 64 bytes for P-256), which is
  // exactly the JWS ES256 signature (RFC 7518 §3.4); node:crypto and OpenSSL give DER by default.
  const sig = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key.privateKey, asciiBytes(input))
  return input + '.' + b64url(sig)
}

/** @param {string} url scheme://host:port, the key of the nonce cache */
function originOf(url) {
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/.exec(url)
  return m ? m[0].toLowerCase() : url
}

/**
 * The nonce an answer asks to retry with ('' when none): a 400 `use_dpop_nonce`
 * from the AS (§8) or a 401 DPoP challenge with `error="use_dpop_nonce"` from
 * an RS (§9), either with a `DPoP-Nonce` header.
 * @param {number} status @param {string | undefined} wwwAuthenticate @param {string} body @param {string | undefined} nonce
 */
function dpopNonceChallenge(status, wwwAuthenticate, body, nonce) {
  if (!nonce) return ''
  if (status === 401 && /\berror\s*=\s*"?use_dpop_nonce\b/.test(wwwAuthenticate || '')) return nonce
  if (status === 400 && /"error"\s*:\s*"use_dpop_nonce"/.test(body || '')) return nonce
  return ''
}
//@@DPOP_END

//@@ASSERTION_START
// private_key_jwt (RFC 7523 §2.2, §3) with k6's global WebCrypto, as the embedded engine
// signs it (src/oauth/client-assertion.ts): iss = sub = client_id, aud the issuer (FAPI 2.0)
// or the token endpoint URL, a random jti, iat now, exp 60 s ahead. k6's WebCrypto signs
// ECDSA, RSASSA-PKCS1-v1_5 and RSA-PSS (no Ed25519), so ES256, RS256 and PS256. Plain JS
// without k6 imports (it uses asciiBytes and b64url above): a test runs it on Node.

/** @type {Record<string, { importParams: EcKeyImportParams | RsaHashedImportParams, signParams: EcdsaParams | RsaPssParams | Algorithm }>} */
const ASSERTION_ALGS = {
  ES256: { importParams: { name: 'ECDSA', namedCurve: 'P-256' }, signParams: { name: 'ECDSA', hash: 'SHA-256' } },
  RS256: { importParams: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, signParams: { name: 'RSASSA-PKCS1-v1_5' } },
  PS256: { importParams: { name: 'RSA-PSS', hash: 'SHA-256' }, signParams: { name: 'RSA-PSS', saltLength: 32 } },
}

/**
 * Import a client's private JWK for signing assertions with `alg`.
 * @param {JsonWebKey} jwk @param {string} alg
 * @returns {Promise<CryptoKey>}
 */
async function importAssertionKey(jwk, alg) {
  const a = ASSERTION_ALGS[alg]
  if (!a) throw new Error('private_key_jwt: k6 WebCrypto does not sign ' + alg)
  /** @type {JsonWebKey} */
  const key = {}
  // only the key's own members: WebCrypto refuses a JWK whose alg, use or key_ops disagree with the import
  for (const k of ['kty', 'crv', 'x', 'y', 'd', 'n', 'e', 'p', 'q', 'dp', 'dq', 'qi'])
    if (/** @type {Record<string, unknown>} */ (jwk)[k] !== undefined)
      /** @type {Record<string, unknown>} */ (key)[k] = /** @type {Record<string, unknown>} */ (jwk)[k]
  return await crypto.subtle.importKey('jwk', key, a.importParams, false, ['sign'])
}

/**
 * A fresh client assertion (a JWT) for `clientId`, audience `audience`.
 * @param {CryptoKey} key @param {string} alg @param {string} kid @param {string} clientId @param {string} audience
 */
async function clientAssertion(key, alg, kid, clientId, audience) {
  const now = Math.floor(Date.now() / 1000)
  /** @type {Record<string, string>} */
  const header = { alg: alg, typ: 'JWT' }
  if (kid) header.kid = kid
  const claims = {
    iss: clientId,
    sub: clientId,
    aud: audience,
    jti: b64url(crypto.getRandomValues(new Uint8Array(16))),
    iat: now,
    exp: now + 60,
  }
  const input = b64url(asciiBytes(JSON.stringify(header))) + '.' + b64url(asciiBytes(JSON.stringify(claims)))
  // ECDSA again gives the raw r||s the JWS wants; RSA signatures are the same bytes in both
  const sig = await crypto.subtle.sign(ASSERTION_ALGS[alg].signParams, key, asciiBytes(input))
  return input + '.' + b64url(sig)
}
//@@ASSERTION_END

// One DPoP key per VU (each VU is its own JS runtime), made on its first DPoP request,
// and the latest DPoP-Nonce it got from each origin.
/** @type {{ privateKey: CryptoKey, header: string, jkt: string } | null} */
let vuDpopKey = null
/** @type {Record<string, string>} */
const vuDpopNonces = {}

/**
 * Send with a DPoP proof (`send(proof)` makes the request); a nonce challenge
 * is retried once with the new nonce. Returns the last response and the time
 * both attempts took.
 * @param {string} htm @param {string} url @param {string | undefined} accessToken
 * @param {(proof: string) => import('k6/http').RefinedResponse<any> | Promise<import('k6/http').RefinedResponse<any>>} send @param {Record<string, string>} tags
 */
async function withDpop(htm, url, accessToken, send, tags) {
  if (!vuDpopKey) vuDpopKey = await newDpopKey()
  const origin = originOf(url)
  let res = await send(await dpopProof(vuDpopKey, htm, url, vuDpopNonces[origin], accessToken))
  let durationMs = res.timings.duration
  for (let attempt = 0; attempt < 2; attempt++) {
    const nonce = res.headers['Dpop-Nonce']
    if (nonce) vuDpopNonces[origin] = nonce
    const body = typeof res.body === 'string' ? res.body : ''
    if (attempt > 0 || !dpopNonceChallenge(res.status, res.headers['Www-Authenticate'], body, nonce)) break
    dpopNonceRetries.add(1, tags)
    res = await send(await dpopProof(vuDpopKey, htm, url, vuDpopNonces[origin], accessToken))
    durationMs += res.timings.duration
  }
  const body = typeof res.body === 'string' ? res.body : ''
  if (/invalid_dpop_proof/.test((res.status === 401 ? res.headers['Www-Authenticate'] : body) || ''))
    dpopProofRejections.add(1, tags)
  return { res: res, durationMs: durationMs }
}

/** Each VU's imported private_key_jwt keys, by client. @type {Record<string, CryptoKey>} */
const vuAssertionKeys = {}

/**
 * How `clientName` authenticates: the flow's `clientAuth` (when the flow uses that client) over
 * the client's own method; private_key_jwt signs a fresh assertion (RFC 7523 §2.2).
 * @param {string} clientName @param {{ client?: string, clientAuth?: string, assertionAudience?: string }} [f]
 * @returns {Promise<{ headers: Record<string, string>, body: Record<string, string> }>}
 */
async function clientAuth(clientName, f) {
  const c = CONFIG.clients[clientName]
  if (!c) throw new Error('unknown client ' + clientName)
  const own = f && f.client === clientName ? f : undefined
  const method = own?.clientAuth || c.authMethod || (c.public ? 'none' : 'client_secret_basic')
  if (method === 'private_key_jwt') {
    let key = vuAssertionKeys[clientName]
    if (!key) {
      key = await importAssertionKey(JSON.parse(env(c.keyEnv)), c.alg)
      vuAssertionKeys[clientName] = key
    }
    const audience = own?.assertionAudience || CONFIG.issuer
    return {
      headers: {},
      body: {
        client_id: c.clientId,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await clientAssertion(key, c.alg, c.kid, c.clientId, audience),
      },
    }
  }
  if (method === 'none') return { headers: {}, body: { client_id: c.clientId } }
  if (method === 'client_secret_post')
    return { headers: {}, body: { client_id: c.clientId, client_secret: env(c.secretEnv) } }
  const basic = encoding.b64encode(encodeURIComponent(c.clientId) + ':' + encodeURIComponent(env(c.secretEnv)))
  return { headers: { Authorization: 'Basic ' + basic }, body: {} }
}

/**
 * POST the token endpoint and record it.
 * @param {string} flow @param {string} clientName @param {Record<string, string>} params
 */
async function tokenRequest(flow, clientName, params, timeout, dpop) {
  const fc = currentFlow()
  /** @param {string} [proof] */
  const send = async (proof) => {
    // a client assertion's jti is good once (RFC 7523 §3): a nonce retry signs a fresh one
    const auth = await clientAuth(clientName, fc)
    const headers = Object.assign({ 'Content-Type': 'application/x-www-form-urlencoded' }, auth.headers)
    return http.post(CONFIG.tokenEndpoint, form(Object.assign({}, auth.body, params)), {
      headers: proof ? Object.assign({ DPoP: proof }, headers) : headers,
      timeout: timeout,
      tags: { name: 'token' },
    })
  }
  const sent = dpop
    ? await withDpop('POST', CONFIG.tokenEndpoint, undefined, send, {
        flow: flow,
        endpoint: 'token',
        grant: params.grant_type,
      })
    : { res: await send(), durationMs: 0 }
  const res = sent.res
  let failed = res.status !== 200
  let downgraded = false
  if (!failed && dpop) {
    // RFC 9449 §5: a DPoP client that gets a bearer token back has lost its sender constraint
    const type = /** @type {{ token_type?: string }} */ (res.json()).token_type || ''
    downgraded = type.toLowerCase() !== 'dpop'
    failed = downgraded
  }
  record('oauth_token', dpop ? sent.durationMs : res.timings.duration, failed, {
    flow: flow,
    endpoint: 'token',
    status: String(res.status),
    grant: params.grant_type,
    error: failed ? oauthError(/** @type {string} */ (res.body)) : '',
    reason: downgraded ? 'token_type_not_dpop' : '',
  })
  if (failed) return null
  const json = /** @type {{access_token: string, refresh_token?: string, expires_in?: number}} */ (res.json())
  return json
}

export async function clientCredentials() {
  const f = currentFlow()
  await tokenRequest(
    f.name || 'client-credentials',
    f.client,
    { grant_type: 'client_credentials', scope: f.scope },
    f.timeout,
    f.dpop,
  )
}

// One token per VU (each VU has its own JS runtime), renewed ahead of expiry.
/** @type {{ token: string, expiresAt: number } | null} */
let vuToken = null

/** @param {{name?: string, client: string, scope: string, timeout: string, dpop?: boolean}} f */
async function ensureToken(f, force) {
  if (!force && vuToken && Date.now() < vuToken.expiresAt - 30000) return vuToken.token
  const json = await tokenRequest(
    f.name || 'api-call',
    f.client,
    { grant_type: 'client_credentials', scope: f.scope },
    f.timeout,
    f.dpop,
  )
  if (!json) return null
  vuToken = { token: json.access_token, expiresAt: Date.now() + (json.expires_in || 300) * 1000 }
  return vuToken.token
}

export async function apiCall() {
  const f = currentFlow()
  const rs = CONFIG.resourceServers[f.target]
  const token = await ensureToken(f, false)
  if (!token) return
  for (let attempt = 0; attempt < 2; attempt++) {
    const t = attempt === 0 ? token : await ensureToken(f, true)
    if (!t) return
    /** @param {string} [proof] */
    const send = (proof) =>
      http.get(rs.apiUrl, {
        // RFC 9449 §7.1: the DPoP scheme and a proof bound to the token (ath)
        headers: proof ? { Authorization: 'DPoP ' + t, DPoP: proof } : { Authorization: 'Bearer ' + t },
        timeout: f.timeout,
        tags: { name: 'api' },
      })
    const sent = f.dpop
      ? await withDpop('GET', rs.apiUrl, t, send, { flow: f.name || 'api-call', endpoint: 'api', target: f.target })
      : { res: send(), durationMs: 0 }
    const res = sent.res
    const failed = res.status >= 400 || res.status === 0
    const why = rsFailure(res.status, res.headers['Www-Authenticate'])
    record('rs_request', f.dpop ? sent.durationMs : res.timings.duration, failed, {
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

/**
 * The parameters of a PKCE S256 authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3),
 * sent to /authorize or pushed (RFC 9126).
 * @param {{ clientId: string, redirectUri: string }} c @param {{ scope: string }} f
 * @param {string} state @param {string} challenge
 */
function authorizationRequest(c, f, state, challenge) {
  return {
    response_type: 'code',
    client_id: c.clientId,
    redirect_uri: c.redirectUri,
    scope: f.scope,
    state: state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }
}

/** A fresh PKCE S256 verifier and its challenge (RFC 7636 §4.1–4.2), and a fresh `state`, for one login. */
function pkceStart() {
  const verifier = encoding.b64encode(k6crypto.randomBytes(32), 'rawurl')
  const challenge = encoding.b64encode(k6crypto.sha256(verifier, 'binary'), 'rawurl')
  const state = encoding.b64encode(k6crypto.randomBytes(16), 'rawurl')
  return { verifier, challenge, state }
}

/** A PKCE S256 login through the AS's login and consent form, without a browser. */
async function authCodeLogin(f) {
  const c = CONFIG.clients[f.client]
  const user = CONFIG.users[0]
  const { verifier, challenge, state } = pkceStart()
  const flow = f.name || 'auth-code'
  const request = authorizationRequest(c, f, state, challenge)
  let authorizeUrl = CONFIG.authorizationEndpoint + '?' + form(request)
  const started = Date.now()
  if (f.par) {
    // RFC 9126: push the request (authenticated as at the token endpoint), send only its request_uri
    const auth = await clientAuth(f.client, f)
    const pushed = http.post(CONFIG.parEndpoint, form(Object.assign({}, auth.body, request)), {
      headers: Object.assign({ 'Content-Type': 'application/x-www-form-urlencoded' }, auth.headers),
      redirects: 0,
      timeout: f.timeout,
      tags: { name: 'par' },
    })
    let requestUri = ''
    try {
      const json = /** @type {{ request_uri?: unknown }} */ (pushed.json())
      requestUri = typeof json.request_uri === 'string' ? json.request_uri : ''
    } catch (_e) {
      requestUri = ''
    }
    if ((pushed.status !== 201 && pushed.status !== 200) || !requestUri) {
      record('oauth_authorize', pushed.timings.duration, true, {
        flow: flow,
        endpoint: 'authorize',
        status: String(pushed.status),
        reason: 'par_failed',
        error: oauthError(/** @type {string} */ (pushed.body)),
      })
      return null
    }
    authorizeUrl = CONFIG.authorizationEndpoint + '?' + form({ client_id: c.clientId, request_uri: requestUri })
  }
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
  return await tokenRequest(
    flow,
    f.client,
    { grant_type: 'authorization_code', code: code, redirect_uri: c.redirectUri, code_verifier: verifier },
    f.timeout,
    f.dpop,
  )
}

export async function authCode() {
  await authCodeLogin(currentFlow())
}

/** @type {string | null} */
let vuRefreshToken = null

export async function refresh() {
  const f = currentFlow()
  if (!vuRefreshToken) {
    const tokens = await authCodeLogin(f)
    vuRefreshToken = tokens && tokens.refresh_token ? tokens.refresh_token : null
    return
  }
  const json = await tokenRequest(
    f.name || 'refresh',
    f.client,
    { grant_type: 'refresh_token', refresh_token: vuRefreshToken },
    f.timeout,
    f.dpop,
  )
  vuRefreshToken = json && json.refresh_token ? json.refresh_token : null
}

export async function introspection() {
  const f = currentFlow()
  const token = await ensureToken(f, false)
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
  const auth = await clientAuth(CONFIG.introspectionClient)
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
  const { verifier, challenge, state } = pkceStart()
  const flow = f.name || 'browser-login'
  const context = await browser.newContext()
  const page = await context.newPage()
  const started = Date.now()
  let reason = ''
  let location = ''
  try {
    await page.goto(CONFIG.authorizationEndpoint + '?' + form(authorizationRequest(c, f, state, challenge)))
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
    const tokens = await tokenRequest(
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
