import { describe, expect, it } from 'vitest'
import { authorizationUrl, authorize, readCallback } from './authorize.ts'
import { s256 } from './pkce.ts'
import type { OAuthRequest, OAuthResponse, Transport } from './transport.ts'

const AS = { issuer: 'http://127.0.0.1:9000', authorizationEndpoint: 'http://127.0.0.1:9000/authorize' }
const CB = 'http://127.0.0.1:7777/cb'
const LOGIN = `<form method="post" action="/login"><input type="hidden" name="csrf" value="c1"><input name="username"><input type="password" name="password"></form>`

/** A login page, a session cookie, and a redirect built by `answer` from the authorization request. */
function loginAs(answer: (q: URLSearchParams) => URLSearchParams | string, sent: OAuthRequest[] = []): Transport {
  let query = new URLSearchParams()
  return async (req): Promise<OAuthResponse> => {
    sent.push(req)
    const url = new URL(req.url)
    if (url.pathname === '/authorize') {
      query = url.searchParams
      return { status: 200, headers: { 'set-cookie': ['sid=s1; HttpOnly; Path=/'] }, body: LOGIN }
    }
    const out = answer(query)
    return { status: 302, headers: { location: typeof out === 'string' ? out : `${CB}?${out}` }, body: '' }
  }
}

const opts = {
  clientId: 'web',
  redirectUri: CB,
  username: 'alice',
  password: 'wonderland',
  codeVerifier: 'v'.repeat(43),
}

describe('authorize', () => {
  it('submits the login form with the session cookie and returns the code', async () => {
    const sent: OAuthRequest[] = []
    const r = await authorize(
      loginAs((q) => new URLSearchParams({ code: 'c0de', state: q.get('state')!, iss: AS.issuer }), sent),
      AS,
      opts,
    )
    expect(r).toMatchObject({ code: 'c0de', status: 302 })
    const first = new URL(sent[0]!.url).searchParams
    expect(first.get('code_challenge')).toBe(s256(opts.codeVerifier))
    expect(first.get('code_challenge_method')).toBe('S256')
    expect(sent[1]).toMatchObject({ url: 'http://127.0.0.1:9000/login', method: 'POST', headers: { cookie: 'sid=s1' } })
    expect(Object.fromEntries(new URLSearchParams(sent[1]!.body))).toEqual({
      csrf: 'c1',
      username: 'alice',
      password: 'wonderland',
      decision: 'approve',
    })
  })

  it('refuses a redirect whose state is not the one sent', async () => {
    const r = await authorize(
      loginAs(() => new URLSearchParams({ code: 'c0de', state: 'forged' })),
      AS,
      opts,
    )
    expect(r).toMatchObject({ error: 'state_mismatch' })
    expect(r.code).toBeUndefined()
  })

  it('refuses a redirect that names another issuer (RFC 9207)', async () => {
    const r = await authorize(
      loginAs((q) => new URLSearchParams({ code: 'c0de', state: q.get('state')!, iss: 'http://127.0.0.1:9001' })),
      AS,
      opts,
    )
    expect(r).toMatchObject({ error: 'iss_mismatch' })
    expect(r.code).toBeUndefined()
  })

  it('returns the OAuth error of the redirect', async () => {
    const r = await authorize(
      loginAs((q) => new URLSearchParams({ error: 'access_denied', state: q.get('state')! })),
      AS,
      opts,
    )
    expect(r).toMatchObject({ error: 'access_denied', status: 302 })
  })

  it('sends a plain challenge as the verifier, and none at all when asked', async () => {
    const sent: OAuthRequest[] = []
    const echo = (q: URLSearchParams) => new URLSearchParams({ code: 'c', state: q.get('state')! })
    await authorize(loginAs(echo, sent), AS, { ...opts, challengeMethod: 'plain' })
    await authorize(loginAs(echo, sent), AS, { ...opts, challengeMethod: 'none' })
    const plain = new URL(sent[0]!.url).searchParams
    expect([plain.get('code_challenge'), plain.get('code_challenge_method')]).toEqual([opts.codeVerifier, 'plain'])
    expect(new URL(sent[2]!.url).searchParams.has('code_challenge')).toBe(false)
  })

  it('reads the OAuth error of a JSON error page, http_error of an HTML one', async () => {
    const json: Transport = async () => ({ status: 400, headers: {}, body: '{"error":"invalid_client"}' })
    const html: Transport = async () => ({ status: 400, headers: {}, body: '<title>Authorization error</title>' })
    expect(await authorize(json, AS, opts)).toMatchObject({ status: 400, error: 'invalid_client' })
    expect(await authorize(html, AS, opts)).toMatchObject({ status: 400, error: 'http_error' })
  })

  it('gives up after 6 requests that never reach the redirect uri', async () => {
    let n = 0
    const loop: Transport = async () => ({ status: 302, headers: { location: `/step/${++n}` }, body: '' })
    expect(await authorize(loop, AS, opts)).toMatchObject({ error: 'no_redirect' })
    expect(n).toBe(6)
  })

  it('lets a transport failure reject', async () => {
    const down: Transport = async () => {
      throw new Error('ECONNREFUSED')
    }
    await expect(authorize(down, AS, opts)).rejects.toThrow('ECONNREFUSED')
  })
})

describe('readCallback', () => {
  const cb = (q: Record<string, string>) => new URL(`${CB}?${new URLSearchParams(q)}`)

  it('accepts an error response without state, and a response without iss', () => {
    expect(readCallback(cb({ error: 'access_denied' }), 's', AS.issuer)).toMatchObject({ error: 'access_denied' })
    expect(readCallback(cb({ code: 'c', state: 's' }), 's', AS.issuer)).toMatchObject({ code: 'c' })
  })

  it('refuses a code without state, and a redirect with neither code nor error', () => {
    expect(readCallback(cb({ code: 'c' }), 's', AS.issuer)).toMatchObject({ error: 'state_mismatch' })
    expect(readCallback(cb({ state: 's' }), 's', AS.issuer)).toMatchObject({ error: 'no_code' })
  })
})

describe('authorizationUrl', () => {
  it('builds the request with an S256 challenge from the verifier', () => {
    const u = authorizationUrl(
      AS,
      { clientId: 'web', redirectUri: CB, scope: 'orders:read', codeVerifier: opts.codeVerifier },
      'st',
    )
    expect(Object.fromEntries(u.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'web',
      redirect_uri: CB,
      state: 'st',
      scope: 'orders:read',
      code_challenge: s256(opts.codeVerifier),
      code_challenge_method: 'S256',
    })
  })

  it('refuses to build an S256 request without verifier or challenge', () => {
    expect(() => authorizationUrl(AS, { clientId: 'web', redirectUri: CB }, 'st')).toThrow(/code verifier or challenge/)
  })
})
