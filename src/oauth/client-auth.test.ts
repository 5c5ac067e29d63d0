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

  it("encodes every character as a form does, !'()~ included", () => {
    const secret = "a!b'c(d)e~f*g-h.i_j k/l?m#n&o=p"
    const form = new URLSearchParams({ [secret]: '' }).toString().slice(0, -1)
    expect(decoded(clientSecretBasic('svc', secret))).toBe(`svc:${form}`)
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
    expect(auth({ clientId: 'svc', clientSecret: 's' })).toEqual({ headers: { authorization: clientSecretBasic('svc', 's') }, form: {} })
  })

  it('sends id and secret in the form for client_secret_post', () => {
    expect(auth({ clientId: 'svc', clientSecret: 's', authMethod: 'client_secret_post' })).toEqual({ headers: {}, form: { client_id: 'svc', client_secret: 's' } })
  })

  it('sends only client_id for a public client', () => {
    expect(auth({ clientId: 'spa' })).toEqual({ headers: {}, form: { client_id: 'spa' } })
    expect(auth({ clientId: 'spa', clientSecret: '' })).toEqual({ headers: {}, form: { client_id: 'spa' } })
  })
})
