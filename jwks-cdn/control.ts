/** The control contract of the JWKS CDN: its control API (`/_cdn`, see README.md), as the harness drives it. */
import type { EventFeed } from '../src/util/component/events.ts'

/** JWKS CDN control (`/_cdn`). */
export interface CdnControl extends EventFeed {
  configure(opts: {
    ttl?: string | null
    staleWhileRevalidate?: string
    staleIfError?: string
    purgeDelay?: string
  }): Promise<void>
  purge(): Promise<{ effectiveAt: number }>
  stats(): Promise<{ hits: number; misses: number; stale: number; lastAgeSeconds: number | null; [k: string]: unknown }>
  reset(): Promise<void>
}
