import { describe, expect, it } from 'vitest'
import { parseCacheControl } from './cache-control.ts'

describe('parseCacheControl', () => {
  it('reads max-age and the RFC 5861 stale windows', () => {
    expect(parseCacheControl('public, max-age=300, stale-while-revalidate=30, stale-if-error=600')).toEqual({
      noStore: false,
      noCache: false,
      maxAgeSeconds: 300,
      staleWhileRevalidateSeconds: 30,
      staleIfErrorSeconds: 600,
    })
  })

  it('prefers s-maxage over max-age in a shared cache', () => {
    expect(parseCacheControl('max-age=60, s-maxage=10').maxAgeSeconds).toBe(10)
  })

  it('treats private like no-store and keeps no-cache apart', () => {
    expect(parseCacheControl('private, max-age=60')).toMatchObject({ noStore: true })
    expect(parseCacheControl('No-Cache')).toMatchObject({ noStore: false, noCache: true })
  })

  it('ignores malformed values and handles a missing header', () => {
    expect(parseCacheControl('max-age=abc').maxAgeSeconds).toBeUndefined()
    expect(parseCacheControl('max-age=-5').maxAgeSeconds).toBeUndefined()
    expect(parseCacheControl(undefined)).toEqual({ noStore: false, noCache: false })
    expect(parseCacheControl(['max-age=5', 'no-cache'])).toMatchObject({ maxAgeSeconds: 5, noCache: true })
  })
})
