import { describe, expect, it } from 'vitest'
import { CookieJar } from './cookie-jar.ts'

const res = (setCookie?: string | string[]) => ({ status: 200, headers: { 'set-cookie': setCookie }, body: '' })

describe('CookieJar', () => {
  it('sends back names and values without attributes', () => {
    const jar = new CookieJar()
    jar.take(res(['sid=a; HttpOnly; Path=/', 'csrf=b=c; SameSite=Lax']))
    expect(jar.header()).toEqual({ cookie: 'sid=a; csrf=b=c' })
  })

  it('replaces a cookie set again and takes a single header value', () => {
    const jar = new CookieJar()
    jar.take(res('sid=a'))
    jar.take(res('sid=b; Path=/'))
    expect(jar.header()).toEqual({ cookie: 'sid=b' })
  })

  it('adds no header while empty', () => {
    const jar = new CookieJar()
    jar.take(res())
    jar.take(res('=nameless'))
    expect(jar.header()).toEqual({})
  })
})
