/**
 * The cookies of one login: what the AS set (its session and CSRF cookies),
 * sent back on every later request of the same front channel. Names and
 * values only; attributes are ignored, as one login stays on one origin.
 */
import type { OAuthResponse } from './transport.ts'

/**
 * @example
 * const jar = new CookieJar()
 * jar.take(res)
 * const headers = { ...jar.header() }
 */
export class CookieJar {
  readonly #jar = new Map<string, string>()

  /** Keep the cookies a response sets (a later value replaces an earlier one). */
  take(res: OAuthResponse): void {
    const raw = res.headers['set-cookie']
    for (const c of Array.isArray(raw) ? raw : raw ? [raw] : []) {
      const pair = c.split(';', 1)[0] ?? ''
      const eq = pair.indexOf('=')
      if (eq > 0) this.#jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim())
    }
  }

  /** `{ cookie }` to spread into the next request's headers, `{}` when the jar is empty. */
  header(): { cookie?: string } {
    return this.#jar.size ? { cookie: [...this.#jar].map(([k, v]) => `${k}=${v}`).join('; ') } : {}
  }
}
