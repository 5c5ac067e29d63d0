/**
 * Preflight: before any load, check that every resource server accepts a
 * token this AS issues for it. A typ or audience mismatch (an RS that refuses
 * `at+jwt`, an AS whose aud the RS does not expect) would otherwise look like
 * a fault-induced outage in the report.
 */
import { request } from 'undici'
import { GamedayError } from './errors.ts'
import type { RsTarget, Targets } from './runtime/types.ts'
import { registerSecret } from './util/secrets.ts'
import { clientSecretBasic } from './oauth/client-auth.ts'

const ATTEMPTS = 20
const RETRY_MS = 250

/** Transport failures that mean nothing answers at the URL (not an HTTP refusal). */
const UNREACHABLE: Record<string, string> = {
  ECONNREFUSED: 'connection refused: nothing listens on that port',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name does not resolve',
  EHOSTUNREACH: 'the host cannot be reached',
  ECONNRESET: 'the connection was reset before an answer',
  UND_ERR_SOCKET: 'the connection closed before an answer',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no answer within 5 s',
}

/**
 * Run `call`; a transport failure becomes ERR_TARGET_UNREACHABLE naming the
 * target (`resource server orders at http://…`), never a raw Node code.
 */
export async function reaching<T>(what: string, url: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (cause) {
    const code = (cause as { code?: string }).code ?? (cause as { cause?: { code?: string } }).cause?.code
    const why = code ? UNREACHABLE[code] : undefined
    if (!why) throw cause
    throw new GamedayError('ERR_TARGET_UNREACHABLE', `${what} at ${url}: ${why} (${code})`, {
      cause,
      hint: `is ${what} running? check its URL in the scenario's stack; \`oauth-gameday serve as\` / \`serve rs\` start reference ones`,
    })
  }
}

/** Parse `error_description` (the reason) from a Bearer WWW-Authenticate header. */
export function bearerReason(header: string | string[] | undefined): string | undefined {
  const h = Array.isArray(header) ? header.join(', ') : header
  const m = h ? /error_description="([^"]*)"/.exec(h) : null
  return m?.[1]?.split(/[:\s]/)[0] || undefined
}

async function mintFor(targets: Targets, rs: RsTarget, signal?: AbortSignal): Promise<string | undefined> {
  const client = targets.clients.find(
    (c) =>
      c.grantTypes.includes('client_credentials') &&
      c.clientSecret &&
      c.scopes.includes(rs.scope) &&
      c.tokenFormat !== 'opaque',
  )
  if (!client?.clientSecret) return undefined
  const body = new URLSearchParams({ grant_type: 'client_credentials', scope: rs.scope })
  if (rs.audience && rs.audience !== client.audience) body.set('resource', rs.audience)
  const res = await reaching(`the authorization server's token endpoint`, targets.tokenEndpoint, () =>
    request(targets.tokenEndpoint, {
      method: 'POST',
      headers: {
        authorization: clientSecretBasic(client.clientId, client.clientSecret!),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: body.toString(),
      signal,
      headersTimeout: 5000,
    }),
  )
  const json = (await res.body.json().catch(() => ({}))) as { access_token?: string; error?: string }
  if (res.statusCode !== 200 || !json.access_token) {
    throw new GamedayError(
      'ERR_PREFLIGHT_INCOMPATIBLE',
      `preflight: the token endpoint refused client ${client.clientId} (status ${res.statusCode}, error ${json.error ?? 'none'})`,
    )
  }
  registerSecret(json.access_token)
  return json.access_token
}

/**
 * An external AS given with `control:` must answer as a mock-as control API
 * for this issuer, with the admin token given; otherwise its AS faults would
 * fail mid-run.
 */
export async function checkAsControl(
  url: string,
  issuer: string,
  state: () => Promise<Record<string, unknown>>,
): Promise<void> {
  const hint =
    'give the base URL of a mock-as (`oauth-gameday serve as` prints it) and its admin token (`--admin-token`, or the ADMIN_TOKEN of its container) as { env: NAME }'
  let s: Record<string, unknown>
  try {
    s = await state()
  } catch (cause) {
    const why = (cause as Error).message.replace(/^mock-as /, '')
    throw new GamedayError(
      'ERR_PREFLIGHT_INCOMPATIBLE',
      `preflight: the authorization server's control URL ${url} is not a mock-as control API it can use (${why})`,
      { cause, hint },
    )
  }
  const seen = typeof s?.issuer === 'string' ? s.issuer.replace(/\/$/, '') : undefined
  if (seen !== issuer.replace(/\/$/, '')) {
    throw new GamedayError(
      'ERR_PREFLIGHT_INCOMPATIBLE',
      `preflight: the control API at ${url} ${seen ? `belongs to the mock-as of issuer ${seen}` : 'does not answer as a mock-as'}, not to ${issuer}`,
      { hint },
    )
  }
}

/**
 * Check every target answers (ERR_TARGET_UNREACHABLE names the one that does
 * not) and every RS accepts a freshly minted token; retries while an RS is
 * still warming up (503).
 */
export async function preflightCheck(targets: Targets, signal?: AbortSignal): Promise<void> {
  const discovery = `${targets.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`
  await reaching(`the authorization server ${targets.issuer}`, discovery, async () => {
    const res = await request(discovery, { signal, headersTimeout: 5000 })
    await res.body.dump()
  })
  if (targets.externalAsControl && targets.control.as)
    await checkAsControl(targets.externalAsControl, targets.issuer, () => targets.control.as!.state())
  for (const rs of targets.resourceServers) {
    const what = `resource server ${rs.name}`
    const token = await mintFor(targets, rs, signal)
    if (!token) {
      // no client can mint for it: at least check something answers there (any HTTP status will do)
      await reaching(what, rs.apiUrl, async () =>
        (await request(rs.apiUrl, { signal, headersTimeout: 5000 })).body.dump(),
      )
      continue
    }
    let last = ''
    for (let i = 0; i < ATTEMPTS; i++) {
      signal?.throwIfAborted()
      const res = await reaching(what, rs.apiUrl, () =>
        request(rs.apiUrl, { headers: { authorization: `Bearer ${token}` }, signal, headersTimeout: 5000 }),
      )
      await res.body.dump()
      if (res.statusCode >= 200 && res.statusCode < 300) {
        last = ''
        break
      }
      const reason = bearerReason(res.headers['www-authenticate'])
      last = `status ${res.statusCode}${reason ? `, reason ${reason}` : ''}`
      // An RS still fetching its first key set (its AS or proxy started beside it) is warming up, not incompatible.
      if ((res.statusCode === 401 || res.statusCode === 403) && reason !== 'validator_unavailable') break
      await new Promise((r) => setTimeout(r, RETRY_MS))
    }
    if (last) {
      throw new GamedayError(
        'ERR_PREFLIGHT_INCOMPATIBLE',
        `preflight: resource server ${rs.name} refused a fresh token from ${targets.issuer} (${last})`,
        {
          hint: 'align accessTokenTyp, audience and scope between the AS and this RS before the game day',
        },
      )
    }
  }
}
