/**
 * Admin-token auth of the components' control APIs: one way to mint a token
 * and one constant-time check of `Authorization: Bearer <token>`.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { registerSecret } from '../secrets.ts'

/**
 * A fresh admin token, registered with the secret masker.
 *
 * @example
 * ```ts
 * const adminToken = options.adminToken ?? mintAdminToken()
 * ```
 */
export function mintAdminToken(): string {
  const token = randomBytes(24).toString('base64url')
  registerSecret(token)
  return token
}

/** Constant-time comparison of two secrets (hashed first, so neither content nor length leaks through timing). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest())
}

/**
 * True when an `Authorization` header carries `Bearer <adminToken>`
 * (scheme case-insensitive, surrounding spaces tolerated).
 *
 * @example
 * ```ts
 * if (!adminTokenMatches(req.headers.authorization, adminToken)) return reply.code(401).send(...)
 * ```
 */
export function adminTokenMatches(header: string | string[] | undefined, adminToken: string): boolean {
  const m = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null
  return m !== null && sameSecret(m[1]!, adminToken)
}
