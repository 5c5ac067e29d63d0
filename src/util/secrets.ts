/**
 * Secret masking by value and by shape. Every token the harness mints or
 * receives and every secret it loads is registered here; logs and reports
 * pass their text through {@link maskSecrets} before it leaves the process.
 */
import { createHash, randomBytes } from 'node:crypto'

const registered = new Set<string>()
let pattern: RegExp | undefined

/** A JWS/JWE compact serialization: three or five base64url segments, the first a JSON header. */
export const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?/g

/** Secrets shorter than this are not masked by value (they would mask ordinary words). */
const MIN_SECRET_LENGTH = 6

/** Register a value that must never appear in clear in a log line or a report. */
export function registerSecret(value: string | undefined | null): void {
  if (!value || value.length < MIN_SECRET_LENGTH || registered.has(value)) return
  registered.add(value)
  pattern = undefined
  if (registered.size > 50_000) {
    // bounded memory under long runs: the oldest values go first (JWT-shaped ones are still caught by shape)
    const first = registered.values().next().value
    if (first !== undefined) registered.delete(first)
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** Replace registered secrets and JWT-shaped strings in `text` by a short hash. */
export function maskSecrets(text: string): string {
  let out = text.replace(JWT_SHAPE, (m) => `[jwt:${shortHash(m)}]`)
  if (registered.size === 0) return out
  if (!pattern) {
    const parts = [...registered].sort((a, b) => b.length - a.length).map(escape)
    pattern = new RegExp(parts.join('|'), 'g')
  }
  out = out.replace(pattern, (m) => `[secret:${shortHash(m)}]`)
  return out
}

const hashKey = randomBytes(16)

/** A short keyed hash (8 hex chars) to correlate a secret across log lines without revealing it. */
export function shortHash(value: string): string {
  return createHash('sha256').update(hashKey).update(value).digest('hex').slice(0, 8)
}

/** Test helper: forget every registered secret. */
export function clearSecrets(): void {
  registered.clear()
  pattern = undefined
}
