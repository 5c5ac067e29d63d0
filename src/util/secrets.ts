/**
 * Secret masking by value and by shape. Every token the harness mints or
 * receives and every secret it loads is registered here; logs and reports
 * pass their text through {@link maskSecrets} before it leaves the process.
 */
import { createHash, randomBytes } from 'node:crypto'

/** Token-like secrets (base64url, ≥ 16 chars): found by scanning runs and a Set lookup, so thousands cost no regex. */
const tokens = new Set<string>()
/** Other secrets (passwords, short client secrets): few, matched by one regex. */
const literals = new Set<string>()
let pattern: RegExp | undefined

const TOKEN_LIKE = /^[A-Za-z0-9_-]{16,}$/
const TOKEN_RUN = /[A-Za-z0-9_-]{16,}/g
const MAX_TOKENS = 200_000

/** A JWS/JWE compact serialization: three or five base64url segments, the first a JSON header. */
export const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?/g

const JWT_WHOLE = new RegExp(`^${JWT_SHAPE.source}$`)

/** Secrets shorter than this are not masked by value (they would mask ordinary words). */
const MIN_SECRET_LENGTH = 6

/** Register a value that must never appear in clear in a log line or a report. */
export function registerSecret(value: string | undefined | null): void {
  if (!value || value.length < MIN_SECRET_LENGTH) return
  if (TOKEN_LIKE.test(value)) {
    if (tokens.has(value)) return
    tokens.add(value)
    if (tokens.size > MAX_TOKENS) {
      // bounded memory under long runs: the oldest go first (JWT-shaped ones are still caught by shape)
      const first = tokens.values().next().value
      if (first !== undefined) tokens.delete(first)
    }
    return
  }
  if (JWT_WHOLE.test(value)) {
    // a JWT is masked by shape; its segments go to the token set so a fragment is caught too, and
    // thousands of (attack) tokens never grow the literal regex past what V8 compiles
    for (const part of value.split('.')) if (TOKEN_LIKE.test(part)) registerSecret(part)
    return
  }
  if (literals.has(value)) return
  literals.add(value)
  pattern = undefined
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** Replace registered secrets and JWT-shaped strings in `text` by a short hash. */
export function maskSecrets(text: string): string {
  let out = text.replace(JWT_SHAPE, (m) => `[jwt:${shortHash(m)}]`)
  if (tokens.size > 0) out = out.replace(TOKEN_RUN, (m) => (tokens.has(m) ? `[secret:${shortHash(m)}]` : m))
  if (literals.size === 0) return out
  if (!pattern) {
    const parts = [...literals].sort((a, b) => b.length - a.length).map(escapeRegExp)
    pattern = new RegExp(parts.join('|'), 'g')
  }
  return out.replace(pattern, (m) => `[secret:${shortHash(m)}]`)
}

const hashKey = randomBytes(16)

/** A short keyed hash (8 hex chars) to correlate a secret across log lines without revealing it. */
export function shortHash(value: string): string {
  return createHash('sha256').update(hashKey).update(value).digest('hex').slice(0, 8)
}

/** Test helper: forget every registered secret. */
export function clearSecrets(): void {
  tokens.clear()
  literals.clear()
  pattern = undefined
}
