/**
 * A form POST to an endpoint of the AS's back channel (token RFC 6749 §3.2,
 * revocation RFC 7009, introspection RFC 7662), client authentication
 * applied, the JSON answer read. OAuth errors resolve; only the transport
 * rejects.
 */
import { applyClientAuth, type ClientIdentity } from './client-auth.ts'
import type { OAuthResponse, Transport } from './transport.ts'

/** The answer: the response, its JSON object (undefined when the body is not one), and how long it took. */
export interface FormPostResult {
  status: number
  response: OAuthResponse
  json: Record<string, unknown> | undefined
  ms: number
}

/**
 * POST `params` (empty and undefined values left out) as
 * application/x-www-form-urlencoded, authenticated as `client` when given.
 *
 * @example
 * const r = await postForm(fetchTransport(), tokenEndpoint, { grant_type: 'client_credentials' }, { clientId: 'svc', clientSecret })
 * if (r.status === 200) console.log(r.json?.token_type)
 */
export async function postForm(
  transport: Transport,
  url: string,
  params: Record<string, string | undefined>,
  client: ClientIdentity | undefined,
  signal?: AbortSignal,
): Promise<FormPostResult> {
  const form = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') form.set(k, v)
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  }
  if (client) applyClientAuth(client, headers, form, url)
  const started = performance.now()
  const response = await transport({
    url,
    method: 'POST',
    headers,
    body: form.toString(),
    ...(form.has('client_assertion') && client
      ? {
          resendBody: () => {
            applyClientAuth(client, {}, form, url)
            return form.toString()
          },
        }
      : {}),
    ...(signal ? { signal } : {}),
  })
  const ms = performance.now() - started
  return { status: response.status, response, json: jsonObject(response.body), ms }
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text)
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}
