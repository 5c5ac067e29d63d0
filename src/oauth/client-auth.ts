/**
 * Client authentication at the token, revocation and introspection
 * endpoints (RFC 6749 §2.3.1) and private_key_jwt (RFC 7523, client-assertion.ts).
 */
import { CLIENT_ASSERTION_TYPE, type ClientSigningKey, signClientAssertion } from './client-assertion.ts'

/**
 * `Authorization: Basic` for client_secret_basic: id and secret are
 * form-urlencoded (application/x-www-form-urlencoded, RFC 6749 appendix B)
 * before they are joined with `:` and base64-encoded.
 *
 * @example clientSecretBasic('svc', 'a b:c') // 'Basic ' + base64('svc:a+b%3Ac')
 */
export function clientSecretBasic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(secret)}`).toString('base64')}`
}

// application/x-www-form-urlencoded as the WHATWG URL standard serializes it (what a form
// sends today): letters, digits and *-._ as they are, a space as `+`, every other byte %HH.
// encodeURIComponent also leaves !'()~ alone. A base64url secret goes unchanged, so an AS that
// compares the header without decoding it still accepts it.
function formEncode(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+')
}

/** How a client authenticates (RFC 7591 `token_endpoint_auth_method`). */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none'

/** A client as the protocol pieces see it. */
export interface ClientIdentity {
  clientId: string
  clientSecret?: string
  /** Default: private_key_jwt with a private key, client_secret_basic with a secret, else none. */
  authMethod?: ClientAuthMethod
  /** The signing key of private_key_jwt. */
  privateKey?: ClientSigningKey
  /** `aud` of its assertions (the issuer, or the token endpoint URL); default: the URL's origin. */
  assertionAudience?: string
}

/**
 * Authenticate a request to the token, revocation or introspection endpoint:
 * `Authorization: Basic` (client_secret_basic), the credentials in the form
 * (client_secret_post, RFC 6749 §2.3.1), or only `client_id` in the form for
 * a public client (none, §3.2.1), or a fresh signed `client_assertion`
 * (private_key_jwt, RFC 7523 §2.2) whose `aud` is `assertionAudience`.
 *
 * @example
 * const form = new URLSearchParams({ grant_type: 'client_credentials' })
 * const headers: Record<string, string> = {}
 * applyClientAuth({ clientId: 'svc', clientSecret: 's3cret' }, headers, form) // headers.authorization = 'Basic …'
 */
export function applyClientAuth(
  client: ClientIdentity,
  headers: Record<string, string>,
  form: URLSearchParams,
  url?: string,
): void {
  const method =
    client.authMethod ?? (client.privateKey ? 'private_key_jwt' : client.clientSecret ? 'client_secret_basic' : 'none')
  if (method === 'private_key_jwt' && client.privateKey) {
    const audience = client.assertionAudience ?? (url ? new URL(url).origin : '')
    form.set('client_id', client.clientId)
    form.set('client_assertion_type', CLIENT_ASSERTION_TYPE)
    form.set('client_assertion', signClientAssertion(client.privateKey, { clientId: client.clientId, audience }))
    return
  }
  if (method === 'client_secret_basic' && client.clientSecret !== undefined) {
    headers.authorization = clientSecretBasic(client.clientId, client.clientSecret)
    return
  }
  form.set('client_id', client.clientId)
  if (method === 'client_secret_post' && client.clientSecret !== undefined)
    form.set('client_secret', client.clientSecret)
}
