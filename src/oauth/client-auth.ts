/**
 * Client authentication at the token, revocation and introspection
 * endpoints (RFC 6749 §2.3.1).
 */

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

function formEncode(s: string): string {
  return encodeURIComponent(s).replace(/%20/g, '+')
}
