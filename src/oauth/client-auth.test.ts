import { describe, expect, it } from 'vitest'
import { applyClientAuth, clientSecretBasic } from './client-auth.ts'

const decoded = (header: string) => Buffer.from(header.replace(/^Basic /, ''), 'base64').toString()

describe('clientSecretBasic', () => {
  it('form-urlencodes client id and secret before base64 (RFC 6749 §2.3.1)', () => {
    expect(clientSecretBasic('svc', 'a b:c')).toBe(`Basic ${Buffer.from('svc:a+b%3Ac').toString('base64')}`)
  })

  it('escapes a colon in the client id, so the server splits at the right one', () => {
    expect(decoded(clientSecretBasic('urn:svc', 's'))).toBe('urn%3Asvc:s')
  })

  it('escapes %, + and non-ASCII characters of the secret', () => {
    expect(decoded(clientSecretBasic('svc', '100%+é'))).toBe('svc:100%25%2B%C3%A9')
  })

  it("encodes as a form does (URLSearchParams): !'()~ escaped, *-._ as they are", () => {
    const secret = "aZ09-_.!~*'()/?#&= é"
    expect(decoded(clientSecretBasic('svc', secret))).toBe(
      `svc:${new URLSearchParams({ s: secret }).toString().slice(2)}`,
    )
    expect(decoded(clientSecretBasic('svc', "-_.*!'()~"))).toBe('svc:-_.*%21%27%28%29%7E')
  })

  it('sends a base64url secret unchanged', () => {
    expect(decoded(clientSecretBasic('svc', 'Ab-9_z'))).toBe('svc:Ab-9_z')
  })

  it('round-trips through the decoding a server does (+ as space, then percent-decoding)', () => {
    const secret = "s3:cr+et %25!'()~*&=/?#é"
    const [id, sec] = decoded(clientSecretBasic('urn:svc', secret))
      .split(':')
      .map((p) => decodeURIComponent(p.replace(/\+/g, '%20')))
    expect([id, sec]).toEqual(['urn:svc', secret])
  })
})

describe('applyClientAuth', () => {
  const auth = (client: Parameters<typeof applyClientAuth>[0]) => {
    const headers: Record<string, string> = {}
    const form = new URLSearchParams()
    applyClientAuth(client, headers, form)
    return { headers, form: Object.fromEntries(form) }
  }

  it('uses client_secret_basic for a client with a secret', () => {
    expect(auth({ clientId: 'svc', clientSecret: 's' })).toEqual({
      headers: { authorization: clientSecretBasic('svc', 's') },
      form: {},
    })
  })

  it('sends id and secret in the form for client_secret_post', () => {
    expect(auth({ clientId: 'svc', clientSecret: 's', authMethod: 'client_secret_post' })).toEqual({
      headers: {},
      form: { client_id: 'svc', client_secret: 's' },
    })
  })

  it('sends only client_id for a public client', () => {
    expect(auth({ clientId: 'spa' })).toEqual({ headers: {}, form: { client_id: 'spa' } })
    expect(auth({ clientId: 'spa', clientSecret: '' })).toEqual({ headers: {}, form: { client_id: 'spa' } })
  })
})
