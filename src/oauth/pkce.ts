/**
 * PKCE (RFC 7636): a high-entropy code verifier and its S256 challenge.
 */
import { createHash, randomBytes } from 'node:crypto'

/**
 * A PKCE verifier (43 chars of base64url, §4.1) and its S256 challenge (§4.2).
 *
 * @example
 * const { verifier, challenge } = pkcePair()
 */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: s256(verifier) }
}

/**
 * BASE64URL(SHA256(ASCII(verifier))), RFC 7636 §4.2.
 *
 * @example s256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk') // 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'
 */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url')
}
