import { describe, expect, it } from 'vitest'
import type { HttpResponse } from '../http.ts'
import { rsFailure, rsReason } from './oauth.ts'

const res = (status: number, www?: string): HttpResponse => ({
  status,
  headers: www ? { 'www-authenticate': www } : {},
  body: '',
})

describe('oauth helpers', () => {
  it('explains a refusal with a known reason, unknown for a foreign RS', () => {
    expect(rsReason(res(401, 'Bearer error="invalid_token", error_description="expired"'))).toBe('expired')
    expect(rsReason(res(401, 'Bearer error="invalid_token", error_description="The access token expired"'))).toBe(
      'unknown',
    )
    expect(rsReason(res(403, 'Bearer error="insufficient_scope"'))).toBe('insufficient_scope')
    expect(rsReason(res(200))).toBeUndefined()
  })

  it('reads the error code of a refusal whether it is quoted or a bare token (RFC 9110 auth-param)', () => {
    expect(rsFailure(res(401, 'Bearer error="invalid_token", error_description="expired"'))).toEqual({
      reason: 'expired',
      error: 'invalid_token',
    })
    expect(rsFailure(res(401, 'Bearer realm=api, error=invalid_token, error_description=revoked'))).toEqual({
      reason: 'revoked',
      error: 'invalid_token',
    })
    expect(rsFailure(res(401))).toEqual({ reason: 'unknown' })
    expect(rsFailure(res(204, 'Bearer error="invalid_token"'))).toEqual({})
  })
})
