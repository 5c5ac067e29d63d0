import { describe, expect, it } from 'vitest'
import type { HttpResponse } from '../http.ts'
import { rsFailure, rsReason } from './oauth.ts'
import { parseForm } from './login.ts'

const res = (status: number, www?: string): HttpResponse => ({ status, headers: www ? { 'www-authenticate': www } : {}, body: '' })

describe('oauth helpers', () => {
  it('explains a refusal with a known reason, unknown for a foreign RS', () => {
    expect(rsReason(res(401, 'Bearer error="invalid_token", error_description="expired"'))).toBe('expired')
    expect(rsReason(res(401, 'Bearer error="invalid_token", error_description="The access token expired"'))).toBe('unknown')
    expect(rsReason(res(403, 'Bearer error="insufficient_scope"'))).toBe('insufficient_scope')
    expect(rsReason(res(200))).toBeUndefined()
  })

  it('reads the error code of a refusal whether it is quoted or a bare token (RFC 9110 auth-param)', () => {
    expect(rsFailure(res(401, 'Bearer error="invalid_token", error_description="expired"'))).toEqual({ reason: 'expired', error: 'invalid_token' })
    expect(rsFailure(res(401, 'Bearer realm=api, error=invalid_token, error_description=revoked'))).toEqual({ reason: 'revoked', error: 'invalid_token' })
    expect(rsFailure(res(401))).toEqual({ reason: 'unknown' })
    expect(rsFailure(res(204, 'Bearer error="invalid_token"'))).toEqual({})
  })

  it('parses the login form: action, hidden fields, entities', () => {
    const html = `<form method="post" action="/authorize"><input type="hidden" name="txn" value="t&amp;1"><input type="hidden" name="csrf" value="c2"><input name="username"><input type="password" name="password"><button name="decision" value="approve">ok</button></form>`
    expect(parseForm(html, 'http://127.0.0.1:9/authorize?x=1')).toEqual({ action: 'http://127.0.0.1:9/authorize', method: 'POST', fields: { txn: 't&1', csrf: 'c2', username: '', password: '' } })
  })
})
