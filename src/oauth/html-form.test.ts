import { describe, expect, it } from 'vitest'
import { hasInput, parseForm } from './html-form.ts'

describe('parseForm', () => {
  it('reads a login form with its hidden CSRF input and a relative action', () => {
    const html = `<html><body><form method="post" action="/authorize">
      <input type="hidden" name="txn" value="t&amp;1">
      <input type='hidden' name='csrf' value='abc'>
      <input name="username" required><input name="password" type="password">
      <button name="decision" value="approve">Allow</button><input type="submit" name="go" value="x"></form></body></html>`
    expect(parseForm(html, 'http://127.0.0.1:9000/authorize?x=1')).toEqual({
      action: 'http://127.0.0.1:9000/authorize',
      method: 'POST',
      fields: { txn: 't&1', csrf: 'abc', username: '', password: '' },
    })
  })

  it('writes the method upper-case whatever the page wrote, GET when it wrote none', () => {
    expect(parseForm('<form method="Post"></form>', 'http://127.0.0.1/')?.method).toBe('POST')
    expect(parseForm('<form action="/x"></form>', 'http://127.0.0.1/')?.method).toBe('GET')
  })

  it('decodes &amp; last, so an escaped entity stays text', () => {
    expect(
      parseForm('<form><input name="v" value="&amp;quot;&#x2F;&apos;"></form>', 'http://127.0.0.1/')?.fields,
    ).toEqual({ v: "&quot;/'" })
  })

  it('does not read data-name as name', () => {
    expect(parseForm('<form><input data-name="x" name="csrf" value="1"></form>', 'http://127.0.0.1/')?.fields).toEqual({
      csrf: '1',
    })
  })

  it('returns undefined for a page without a form', () => {
    expect(parseForm('<p>no form</p>', 'http://127.0.0.1/')).toBeUndefined()
  })

  it('finds a named input by name only, not a longer one', () => {
    expect(hasInput('<input name="username">', 'username')).toBe(true)
    expect(hasInput('<input name="username_hint">', 'username')).toBe(false)
  })
})
