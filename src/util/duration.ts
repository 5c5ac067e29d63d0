/**
 * k6-style duration strings: `250ms`, `30s`, `5m`, `1h`, `1d`, and compounds
 * such as `1m30s`. A bare number is refused: the unit belongs in the value
 * (or, for numbers, in the field name, as in `latencyMs`).
 */

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const PART = /(\d+(?:\.\d+)?)(us|ms|s|m|h|d)/y

/** The JSON-schema pattern for a duration string. */
export const DURATION_PATTERN = '^(\\d+(\\.\\d+)?(us|ms|s|m|h|d))+$'

/**
 * Parse a duration to milliseconds; `undefined` when it is not a duration.
 *
 * @example parseDuration('1m30s') // 90000
 */
export function parseDuration(value: string): number | undefined {
  if (typeof value !== 'string' || value.length === 0) return undefined
  let total = 0
  PART.lastIndex = 0
  while (PART.lastIndex < value.length) {
    const start = PART.lastIndex
    const m = PART.exec(value)
    if (!m || m.index !== start) return undefined
    total += Number(m[1]) * (UNIT_MS[m[2]!] ?? Number.NaN)
  }
  return Number.isFinite(total) ? total : undefined
}

/** Parse a duration or throw a plain Error naming the value (callers wrap it in their own code). */
export function durationMs(value: string): number {
  const ms = parseDuration(value)
  if (ms === undefined) throw new Error(`must be a duration like 15s (got ${JSON.stringify(value)})`)
  return ms
}

/** Format milliseconds as a short k6-style duration (`1m30s`, `250ms`). */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  const s = Math.round(ms / 1000)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const r = s % 60
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${r || (!h && !m) ? `${r}s` : ''}`
}
