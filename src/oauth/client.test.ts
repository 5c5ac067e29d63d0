import { describe, expect, it } from 'vitest'
import { parseBearerChallenge, parseForm } from './client.ts'

describe('oauth-client', () => {
  it('reads a login form with its hidden CSRF input and a relative action', () => {
    const html = `<html><body><form method="post" action="/authorize">
      <input type="hidden" name="txn" value="t&amp;1">
      <input type='hidden' name='csrf' value='abc'>
      <input name="username" required><input name="password" type="password">
      <button name="decision" value="approve">Allow</button><input type="submit" name="go" value="x"></form></body></html>`
    expect(parseForm(html, 'http://127.0.0.1:9000/authorize?x=1')).toEqual({
      action: 'http://127.0.0.1:9000/authorize',
      method: 'post',
      fields: { txn: 't&1', csrf: 'abc', username: '', password: '' },
    })
    expect(parseForm('<p>no form</p>', 'http://127.0.0.1/')).toBeUndefined()
  })

  it('parses the RFC 6750 challenge and the mock-rs reason', () => {
    expect(parseBearerChallenge('Bearer realm="orders", error="invalid_token", error_description="unknown_kid"')).toEqual({ error: 'invalid_token', reason: 'unknown_kid' })
    expect(parseBearerChallenge('Bearer realm="orders"')).toEqual({})
    expect(parseBearerChallenge(null)).toEqual({})
    // a bare token value and an escaped quote read as RFC 9110 auth-params
    expect(parseBearerChallenge('Bearer error=invalid_token, error_description="say \\"hi\\""')).toEqual({ error: 'invalid_token', reason: 'say "hi"' })
  })
})
