import { describe, expect, it } from 'vitest'
import { parseBearerChallenge } from './client.ts'

describe('client parseBearerChallenge', () => {
  it('parses the RFC 6750 challenge and the mock-rs reason', () => {
    expect(
      parseBearerChallenge('Bearer realm="orders", error="invalid_token", error_description="unknown_kid"'),
    ).toEqual({ error: 'invalid_token', reason: 'unknown_kid' })
    expect(parseBearerChallenge('Bearer realm="orders"')).toEqual({})
    expect(parseBearerChallenge(null)).toEqual({})
    // a bare token value and an escaped quote read as RFC 9110 auth-params
    expect(parseBearerChallenge('Bearer error=invalid_token, error_description="say \\"hi\\""')).toEqual({
      error: 'invalid_token',
      reason: 'say "hi"',
    })
  })
})
