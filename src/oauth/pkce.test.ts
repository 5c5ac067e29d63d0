import { describe, expect, it } from 'vitest'
import { pkcePair, s256 } from './pkce.ts'

describe('pkce', () => {
  it('derives the RFC 7636 appendix B S256 challenge', () => {
    expect(s256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')
  })

  it('makes a fresh 43-character verifier with its S256 challenge', () => {
    const a = pkcePair()
    const b = pkcePair()
    expect(a.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(a.challenge).toBe(s256(a.verifier))
    expect(b.verifier).not.toBe(a.verifier)
  })
})
