import { describe, expect, it } from 'vitest'
import { maskSecrets } from '../secrets.ts'
import { adminTokenMatches, mintAdminToken, sameSecret } from './admin-auth.ts'

describe('admin-auth', () => {
  it('accepts only Bearer <the admin token>', () => {
    const token = mintAdminToken()
    expect(adminTokenMatches(`Bearer ${token}`, token)).toBe(true)
    expect(adminTokenMatches(`bearer ${token} `, token)).toBe(true)
    expect(adminTokenMatches(`Bearer ${token}x`, token)).toBe(false)
    expect(adminTokenMatches(`Basic ${token}`, token)).toBe(false)
    expect(adminTokenMatches(undefined, token)).toBe(false)
    expect(adminTokenMatches([`Bearer ${token}`], token)).toBe(false)
    expect(sameSecret('a', 'ab')).toBe(false)
  })

  it('registers a minted token with the secret masker', () => {
    const token = mintAdminToken()
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(maskSecrets(`token=${token}`)).not.toContain(token)
  })
})
