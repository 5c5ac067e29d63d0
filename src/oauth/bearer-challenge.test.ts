import { describe, expect, it } from 'vitest'
import { parseBearerChallenge } from './bearer-challenge.ts'

describe('parseBearerChallenge', () => {
  it('reads quoted and bare-token parameter values (RFC 6750 §3, RFC 9110 §11.2)', () => {
    expect(parseBearerChallenge('Bearer realm="api", error="invalid_token", error_description="unknown_kid"')).toEqual({
      realm: 'api',
      error: 'invalid_token',
      error_description: 'unknown_kid',
    })
    expect(parseBearerChallenge('Bearer error=invalid_token')).toEqual({ error: 'invalid_token' })
  })

  it('unescapes quoted-pairs and lower-cases parameter names', () => {
    expect(parseBearerChallenge('Bearer Error="a \\"b\\" c", ERROR_DESCRIPTION="x,y"')).toEqual({
      error: 'a "b" c',
      error_description: 'x,y',
    })
  })

  it('returns no parameters for a missing header or a bare scheme', () => {
    expect(parseBearerChallenge(undefined)).toEqual({})
    expect(parseBearerChallenge(null)).toEqual({})
    expect(parseBearerChallenge('Bearer')).toEqual({})
  })
})
