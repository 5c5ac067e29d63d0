import { afterEach, describe, expect, it } from 'vitest'
import { clearSecrets, maskSecrets, registerSecret, shortHash } from './secrets.ts'

describe('maskSecrets', () => {
  afterEach(() => clearSecrets())

  it('masks a registered value wherever it appears', () => {
    registerSecret('svc-secret-123')
    const out = maskSecrets('{"msg":"x","client_secret":"svc-secret-123","other":"a svc-secret-123 b"}')
    expect(out).not.toContain('svc-secret-123')
    expect(out).toContain(`[secret:${shortHash('svc-secret-123')}]`)
  })

  it('masks JWT-shaped strings without registration', () => {
    const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLWJ5dGVz'
    expect(maskSecrets(`token=${jwt}&x=1`)).toBe(`token=[jwt:${shortHash(jwt)}]&x=1`)
  })

  it('leaves short values alone so ordinary words survive', () => {
    registerSecret('abc')
    expect(maskSecrets('abc def')).toBe('abc def')
  })
})

describe('maskSecrets with many tokens', () => {
  afterEach(() => clearSecrets())

  it('masks opaque tokens found among thousands registered, wherever they sit in the text', () => {
    const minted = Array.from({ length: 20_000 }, (_, i) => `opaque${String(i).padStart(6, '0')}Tok_en-abcdefgh`)
    for (const t of minted) registerSecret(t)
    const one = minted[12_345]!
    const out = maskSecrets(`{"access_token":"${one}"} token=${one}&x=1 Bearer ${one}`)
    expect(out).not.toContain(one)
    expect(out.match(/\[secret:/g)).toHaveLength(3)
    expect(maskSecrets('opaque999999Tok_en-abcdefgh is not registered')).toContain('opaque999999Tok_en-abcdefgh')
  })
})

describe('maskSecrets with JWTs', () => {
  afterEach(() => clearSecrets())

  it('registers thousands of JWTs, a 100 kB one included, without building a regex of them, and masks them and their segments', () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
    const jwts = Array.from(
      { length: 2000 },
      (_, i) => `${b64({ alg: 'none', i })}.${b64({ sub: `user-${i}`, pad: i === 0 ? 'A'.repeat(100 * 1024) : '' })}.`,
    )
    for (const t of jwts) registerSecret(t)
    registerSecret('wonderland')
    const text = `a ${jwts[0]} b ${jwts[1999]} c payload-only ${jwts[7]!.split('.')[1]} d wonderland`
    const out = maskSecrets(text)
    expect(out).not.toContain('eyJ')
    expect(out).not.toContain('wonderland')
    expect(out.length).toBeLessThan(300)
  })
})
