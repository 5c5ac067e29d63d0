/**
 * Parse the parameters of a `WWW-Authenticate: Bearer …` challenge (RFC 6750
 * §3): `realm="x", error="invalid_token", error_description="expired"`.
 * Values may be quoted strings (with `\`-escapes) or bare tokens (RFC 9110
 * §11.2 auth-param), so `error=invalid_token` reads the same as
 * `error="invalid_token"`. Parameter names are lower-cased.
 *
 * @example parseBearerChallenge('Bearer error=invalid_token') // { error: 'invalid_token' }
 */
export function parseBearerChallenge(value: string | null | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  if (!value) return out
  const re = /([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g
  for (let m = re.exec(value); m; m = re.exec(value))
    out[m[1]!.toLowerCase()] = (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1')
  return out
}
