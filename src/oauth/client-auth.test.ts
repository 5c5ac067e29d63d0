import { describe, expect, it } from 'vitest'
import { clientSecretBasic } from './client-auth.ts'

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
})
