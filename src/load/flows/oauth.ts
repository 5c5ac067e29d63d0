/**
 * OAuth client plumbing shared by the flows: client authentication
 * (client_secret_basic, RFC 6749 §2.3.1), token requests (§4.4, §6, §4.1.3)
 * recorded as `oauth_token`, Bearer challenges (RFC 6750 §3), and the token
 * holder a well-behaved client keeps: renewed ahead of expiry, single-flight,
 * off the measured request path.
 */
import type { ClientCredentials, RsTarget, Targets } from '../../runtime/types.ts'
import { GamedayError } from '../../errors.ts'
import { parseBearerChallenge } from '../../oauth/bearer-challenge.ts'
import type { ClientIdentity } from '../../oauth/client-auth.ts'
import { DpopSession, dpopTransport } from '../../oauth/dpop-client.ts'
import { postForm } from '../../oauth/token-endpoint.ts'
import type { Transport } from '../../oauth/transport.ts'
import { type HttpResponse, TransportError, header } from '../http.ts'
import type { FlowContext, RecordTags } from './types.ts'

/** RS reasons the harness knows (mock-rs `error_description`); anything else is `unknown`. */
export const RS_REASONS = new Set([
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
])

/**
 * Why an RS refused (statuses of 400 and above; both undefined below):
 * `reason` is the known `error_description` (else `unknown`), `error` the
 * challenge's `error` code as sent, from one parse of the Bearer challenge.
 */
export function rsFailure(res: HttpResponse): { reason?: string; error?: string } {
  if (res.status < 400) return {}
  const ch = parseBearerChallenge(header(res, 'www-authenticate'))
  const reason = reasonOf(res.status, ch)
  return ch.error === undefined ? { reason } : { reason, error: ch.error }
}

function reasonOf(status: number, ch: Record<string, string>): string {
  const d = ch.error_description
  if (d && RS_REASONS.has(d)) return d
  if (status === 403 && ch.error === 'insufficient_scope') return 'insufficient_scope'
  if (status === 503) return 'validator_unavailable'
  return 'unknown'
}

/** The failure reason of an RS answer: the known `error_description`, else `unknown` (see {@link rsFailure}). */
export function rsReason(res: HttpResponse): string | undefined {
  return rsFailure(res).reason
}

/** Find a client by id among the targets, or fail the setup with a clear message. */
export function clientFor(targets: Targets, clientId: string): ClientCredentials {
  const c = targets.clients.find((x) => x.clientId === clientId)
  if (!c)
    throw new GamedayError(
      'ERR_SCENARIO_INVALID',
      `load.flows: client ${JSON.stringify(clientId)} is not registered at the authorization server`,
    )
  return c
}

/** The RS a flow targets (`target:` or the first one). */
export function rsFor(targets: Targets, name: string | undefined): RsTarget {
  const rs = name ? targets.resourceServers.find((r) => r.name === name) : targets.resourceServers[0]
  if (!rs)
    throw new GamedayError(
      'ERR_SCENARIO_INVALID',
      `load.flows: resource server ${JSON.stringify(name ?? '(any)')} is not in the stack`,
    )
  return rs
}

export interface TokenResponse {
  ok: boolean
  status: number
  json?: Record<string, unknown>
  accessToken?: string
  refreshToken?: string
  /** Lifetime in seconds when the AS said so. */
  expiresIn?: number
  /** `token_type` as the AS sent it (`Bearer`, `DPoP`). */
  tokenType?: string
  error?: string
  reason?: string
}

export interface TokenRequest {
  grant: string
  form: Record<string, string>
  client: ClientCredentials
  intendedStart: number
  signal?: AbortSignal
  /** Extra tags (e.g. `phase: renewal`). */
  tags?: Partial<RecordTags>
  /** When false, nothing is recorded (setup before t0). Default true. */
  record?: boolean
  /** Ask for a DPoP-bound token (RFC 9449 §5) with this key; a nonce challenge is retried once (§8). */
  dpop?: DpopSession
}

/** The engine's HTTP client as the transport of the src/oauth pieces (the flow's timeout on every request). */
export function engineTransport(ctx: FlowContext): Transport {
  return (req) => ctx.http.request({ ...req, timeoutMs: ctx.timeoutMs })
}

/**
 * The client as the flow authenticates it: the flow's `clientAuth` over the
 * client's own method, and the `aud` its private_key_jwt assertions carry
 * (`assertionAudience`: the issuer by default, or the token endpoint URL).
 */
export function clientIdentity(ctx: FlowContext, client: ClientCredentials): ClientIdentity {
  const method = ctx.config.clientAuth ?? client.authMethod
  if (method === 'private_key_jwt' && !client.privateKey)
    ctx.warn(`${ctx.name}: client ${client.clientId} has no private key for private_key_jwt`)
  return {
    ...client,
    ...(method ? { authMethod: method } : {}),
    assertionAudience:
      ctx.config.assertionAudience === 'token-endpoint' ? ctx.targets.tokenEndpoint : ctx.targets.issuer,
  }
}

/** POST the token endpoint, record `oauth_token`, register the tokens; never throws. */
export async function requestToken(ctx: FlowContext, req: TokenRequest): Promise<TokenResponse> {
  const start = ctx.now()
  const recorded = req.record !== false
  let transport = engineTransport(ctx)
  if (req.dpop)
    transport = dpopTransport(transport, req.dpop, {
      onNonceRetry: () => recorded && ctx.count('dpop_nonce_retries', { endpoint: 'token', grant: req.grant }),
      onProofRejected: () => recorded && ctx.count('dpop_proof_rejections', { endpoint: 'token', grant: req.grant }),
    })
  let out: TokenResponse
  try {
    const { status, json } = await postForm(
      transport,
      ctx.targets.tokenEndpoint,
      { grant_type: req.grant, ...req.form },
      clientIdentity(ctx, req.client),
      req.signal,
    )
    const accessToken = typeof json?.access_token === 'string' ? json.access_token : undefined
    const refreshToken = typeof json?.refresh_token === 'string' ? json.refresh_token : undefined
    if (accessToken) ctx.registerSecret(accessToken)
    if (refreshToken) ctx.registerSecret(refreshToken)
    if (typeof json?.id_token === 'string') ctx.registerSecret(json.id_token)
    const error = typeof json?.error === 'string' ? json.error : undefined
    const tokenType = typeof json?.token_type === 'string' ? json.token_type : undefined
    // §5: a DPoP client that gets a bearer token back has lost its sender constraint
    const downgraded = req.dpop !== undefined && accessToken !== undefined && tokenType?.toLowerCase() !== 'dpop'
    const ok = status === 200 && accessToken !== undefined && !downgraded
    out = {
      ok,
      status,
      json,
      accessToken,
      refreshToken,
      expiresIn: typeof json?.expires_in === 'number' ? json.expires_in : undefined,
      tokenType,
      error,
      reason: ok
        ? undefined
        : (error ?? (downgraded ? 'token_type_not_dpop' : status === 200 ? 'no_access_token' : undefined)),
    }
  } catch (err) {
    out = { ok: false, status: 0, reason: err instanceof TransportError ? err.reason : 'transport_error' }
  }
  if (recorded) {
    ctx.record(
      'oauth_token',
      {
        endpoint: 'token',
        status: String(out.status),
        grant: req.grant,
        error: out.error,
        reason: out.reason,
        ...req.tags,
      },
      req.intendedStart,
      start,
      ctx.now(),
      !out.ok,
    )
  }
  return out
}

/** Renew when less than this share of the lifetime is left (and at least `MIN_AHEAD_MS`). */
const RENEW_AHEAD_SHARE = 0.2
const MIN_AHEAD_MS = 2_000

/**
 * A virtual client's access token, obtained with client_credentials. `get()`
 * returns the current token at once and renews in the background when it
 * nears expiry (single flight); it waits only when there is no usable token.
 */
export class TokenHolder {
  #token?: string
  #expiresAt = 0
  #renewAt = 0
  #pending?: Promise<string | undefined>

  constructor(
    private readonly ctx: FlowContext,
    private readonly client: ClientCredentials,
    private readonly scope: string | undefined,
    /** Tags of the renewal requests (`flow` is the owning flow). */
    private readonly tags: Partial<RecordTags> = {},
    /** This virtual client's DPoP key and nonces, when its tokens are DPoP-bound. */
    readonly dpop?: DpopSession,
  ) {}

  /** The current token, renewing single-flight when needed; `undefined` when the AS gave none. */
  async get(): Promise<string | undefined> {
    return this.current() ?? this.renew()
  }

  /** The current token when it is still valid (starting a background renewal when one is due), without waiting: `undefined` means call {@link get}. */
  current(): string | undefined {
    if (!this.#token) return undefined
    const now = this.ctx.now()
    if (now >= this.#expiresAt) return undefined
    if (now >= this.#renewAt && !this.#pending) void this.renew()
    return this.#token
  }

  /** Drop `token` after a 401 (only if it is still the current one) and get a fresh one. */
  async reauth(token: string): Promise<string | undefined> {
    if (this.#token === token) {
      this.#token = undefined
      this.#expiresAt = 0
    }
    return this.get()
  }

  /** Renew single-flight: concurrent callers share one token request. */
  renew(record = true): Promise<string | undefined> {
    if (this.#pending) return this.#pending
    const p = (async () => {
      const form: Record<string, string> = {}
      if (this.scope) form.scope = this.scope
      const res = await requestToken(this.ctx, {
        grant: 'client_credentials',
        form,
        client: this.client,
        intendedStart: this.ctx.now(),
        signal: this.ctx.signal,
        tags: this.tags,
        record,
        ...(this.dpop ? { dpop: this.dpop } : {}),
      })
      if (res.ok && res.accessToken) {
        const now = this.ctx.now()
        const lifeMs = (res.expiresIn ?? 300) * 1000
        this.#token = res.accessToken
        this.#expiresAt = now + lifeMs
        this.#renewAt = now + lifeMs - Math.max(MIN_AHEAD_MS, lifeMs * RENEW_AHEAD_SHARE)
        this.ctx.count('token_renewals', { grant: 'client_credentials' })
      } else {
        this.ctx.warn(
          `${this.ctx.name}: token request for ${this.client.clientId} failed (${res.reason ?? res.status})`,
        )
      }
      return this.#token
    })().finally(() => {
      this.#pending = undefined
    })
    this.#pending = p
    return p
  }
}

/** Run `fn` over `items` with at most `limit` at once. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!, i)
    }
  })
  await Promise.all(workers)
  return out
}

/** A fresh DPoP key for one virtual user of this flow (`dpop: true`), else undefined. */
export function newDpopSession(ctx: FlowContext): DpopSession | undefined {
  return ctx.config.dpop ? DpopSession.generate(ctx.config.dpopAlg, clientClock(ctx)) : undefined
}

/** The clock a flow's clients date their proofs with (see {@link FlowContext.clientNow}). */
function clientClock(ctx: FlowContext): (() => number) | undefined {
  return ctx.clientNow ? () => ctx.clientNow!() : undefined
}

/**
 * One DPoP session per VU, made when the VU first runs an iteration (its
 * key is generated then) and kept for the VU's life: `get(vu.id)`.
 * Returns undefined for every VU when the flow is not `dpop: true`.
 */
export function dpopPerVu(ctx: FlowContext): (vuId: number) => DpopSession | undefined {
  if (!ctx.config.dpop) return () => undefined
  const sessions = new Map<number, DpopSession>()
  return (vuId) => {
    let s = sessions.get(vuId)
    if (!s) {
      s = DpopSession.generate(ctx.config.dpopAlg, clientClock(ctx))
      sessions.set(vuId, s)
    }
    return s
  }
}
