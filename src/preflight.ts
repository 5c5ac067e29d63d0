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
  const res = await request(targets.tokenEndpoint, {
    method: 'POST',
    headers: {
      authorization: clientSecretBasic(client.clientId, client.clientSecret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: body.toString(),
    signal,
  })
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

/** Check every RS accepts a freshly minted token; retries while an RS is still warming up (503). */
export async function preflightCheck(targets: Targets, signal?: AbortSignal): Promise<void> {
  for (const rs of targets.resourceServers) {
    const token = await mintFor(targets, rs, signal)
    if (!token) continue
    let last = ''
    for (let i = 0; i < ATTEMPTS; i++) {
      signal?.throwIfAborted()
      const res = await request(rs.apiUrl, {
        headers: { authorization: `Bearer ${token}` },
        signal,
        headersTimeout: 5000,
      })
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
