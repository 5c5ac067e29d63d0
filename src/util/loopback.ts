import { isIP } from 'node:net'
import { GamedayError } from '../errors.ts'

/** True when `host` (a hostname or IP literal, brackets allowed) is a loopback address. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase()
  if (h === 'localhost' || h.endsWith('.localhost')) return true
  if (isIP(h) === 4) return h.startsWith('127.')
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1'
  return false
}

/**
 * Refuse to send load or fault traffic to anything but loopback, unless the
 * URL was named explicitly as an external component (`allowExternal`).
 */
export function assertLoopbackUrl(url: string, what: string, allowExternal = false): URL {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new GamedayError('ERR_SCENARIO_INVALID', `${what}: not a URL (got ${JSON.stringify(url)})`)
  }
  if (!allowExternal && !isLoopbackHost(parsed.hostname)) {
    throw new GamedayError('ERR_TARGET_NOT_LOOPBACK', `${what}: ${parsed.hostname} is not a loopback address`)
  }
  return parsed
}
