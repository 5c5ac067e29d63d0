import { Value } from '@sinclair/typebox/value'
import { describe, expect, it } from 'vitest'
import { isGamedayError } from '../src/errors.ts'
import { metadataUrls } from './discovery.ts'
import { retryAfterMs } from './retry-after.ts'
import { ProfileName, RsKnobsSchema } from './options.ts'
import { profiles, resolveKnobs } from './profiles.ts'

describe('mock-rs profiles', () => {
  it('defines every profile name with fully resolved, valid knobs', () => {
    const names = ProfileName.anyOf.map((l) => l.const)
    expect(Object.keys(profiles).sort()).toEqual([...names].sort())
    for (const [name, p] of Object.entries(profiles)) {
      expect(Value.Check(RsKnobsSchema, p.knobs), name).toBe(true)
      expect(Object.keys(p.knobs).sort(), name).toEqual(Object.keys(RsKnobsSchema.properties).sort())
      expect(p.summary.length, name).toBeGreaterThan(20)
      expect(p.imitates.length, name).toBeGreaterThan(10)
    }
  })

  it('matches the issue: jose defaults, fixed-ttl never refetches, resilient fails closed with 503', () => {
    expect(profiles['jose-defaults'].knobs).toMatchObject({
      jwksCacheMaxAge: '10m',
      refetchCooldown: '30s',
      fetchTimeout: '5s',
      clockTolerance: '0s',
      staleIfError: false,
    })
    expect(profiles['fixed-ttl'].knobs.refetchOnUnknownKid).toBe(false)
    expect(profiles.resilient.knobs).toMatchObject({
      staleIfError: true,
      clockTolerance: '30s',
      honourRetryAfter: true,
      failOpen: false,
      failureStatus: 503,
    })
    expect(profiles['strict-clock'].knobs.clockTolerance).toBe('0s')
    expect(profiles['long-introspection-cache'].knobs).toMatchObject({
      mode: 'introspection',
      introspectionCacheTtl: '5m',
    })
    expect(profiles['no-introspection-cache'].knobs).toMatchObject({
      mode: 'introspection',
      introspectionCacheTtl: '0s',
    })
    expect(profiles['fail-open'].knobs).toMatchObject({ mode: 'introspection', failOpen: true })
  })

  it('applies overrides on top of a profile', () => {
    expect(resolveKnobs('fixed-ttl', { jwksCacheMaxAge: '20s' })).toMatchObject({
      jwksCacheMaxAge: '20s',
      refetchOnUnknownKid: false,
    })
    expect(resolveKnobs()).toEqual(profiles.resilient.knobs)
  })

  it('refuses unknown profiles, bad values and symmetric or none algorithms with ERR_CONFIG_INVALID', () => {
    const bad: Array<() => unknown> = [
      () => resolveKnobs('nope' as never),
      () => resolveKnobs('resilient', { jwksCacheMaxAge: '10 minutes' }),
      () => resolveKnobs('resilient', { algorithms: ['HS256'] }),
      () => resolveKnobs('resilient', { algorithms: ['none'] }),
      () => resolveKnobs('resilient', { bogus: true } as never),
    ]
    for (const f of bad) {
      try {
        f()
        expect.unreachable()
      } catch (err) {
        expect(isGamedayError(err, 'ERR_CONFIG_INVALID')).toBe(true)
      }
    }
  })
})

describe('mock-rs helpers', () => {
  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs('2', 0)).toBe(2000)
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4000)).toBe(6000)
    expect(retryAfterMs('soon', 0)).toBeUndefined()
    expect(retryAfterMs(null, 0)).toBeUndefined()
  })

  it('builds RFC 8414 then OpenID discovery URLs, path-aware', () => {
    expect(metadataUrls('http://127.0.0.1:4000')).toEqual([
      'http://127.0.0.1:4000/.well-known/oauth-authorization-server',
      'http://127.0.0.1:4000/.well-known/openid-configuration',
    ])
    expect(metadataUrls('http://127.0.0.1:4000/tenant/a/')).toEqual([
      'http://127.0.0.1:4000/.well-known/oauth-authorization-server/tenant/a',
      'http://127.0.0.1:4000/tenant/a/.well-known/openid-configuration',
    ])
  })
})
