/**
 * Typed client of the JWKS CDN control API (`/_cdn`), the {@link CdnControl}
 * the runner and the faults use.
 */
import type { ComponentEvent } from '../src/util/component/events.ts'
import type { CdnControl } from './control.ts'
import { controlCaller } from '../src/util/component/control-client.ts'

/** Entry of `GET /_cdn/stats`. */
export interface CdnEntryStats {
  path: string
  ageSeconds: number
  expiresInSeconds: number
}

/** What `GET /_cdn/stats` answers. */
export interface CdnStats {
  hits: number
  misses: number
  stale: number
  revalidations: number
  originErrors: number
  lastAgeSeconds: number | null
  entries: CdnEntryStats[]
  [k: string]: unknown
}

/** CdnControl plus the extra calls the CDN offers. */
export interface CdnControlClient extends CdnControl {
  stats(): Promise<CdnStats>
  /** Purge one path (every query string) or, without a path, everything. */
  purge(opts?: { path?: string }): Promise<{ effectiveAt: number }>
  state(): Promise<Record<string, unknown>>
}

/**
 * Client for a CDN started by `serveCdn`.
 *
 * @example
 * ```ts
 * const cdn = createCdnControl(served.url, served.adminToken)
 * await cdn.configure({ ttl: '10m' })
 * const { effectiveAt } = await cdn.purge()
 * ```
 */
export function createCdnControl(baseUrl: string, adminToken: string): CdnControlClient {
  const call = controlCaller('cdn', baseUrl, adminToken)
  return {
    source: 'cdn',
    async poll(since: number): Promise<ComponentEvent[]> {
      const res = await call<{ events: ComponentEvent[] }>('GET', `/_cdn/events?since=${since}`)
      return res.events
    },
    async configure(opts) {
      await call('PUT', '/_cdn/config', opts)
    },
    purge: (opts = {}) => call('POST', '/_cdn/purge', opts),
    stats: () => call('GET', '/_cdn/stats'),
    state: () => call('GET', '/_cdn/state'),
    async reset() {
      await call('POST', '/_cdn/reset', {})
    },
  }
}
