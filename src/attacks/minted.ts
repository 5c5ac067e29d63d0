/**
 * The claims every minted attack token starts from: this RS's audience and
 * scope, so each attack changes exactly one thing.
 */
import type { AttackKit } from './types.ts'

export const NO_MINT = 'needs AS-signed tokens with chosen claims: the mock-as mint route (the AS is external)'

/** Default claims for `kit.mint`, one attack's change on top. */
export function forRs(kit: AttackKit, change: Record<string, unknown>): Record<string, unknown> {
  return { aud: kit.rs.audience, scope: kit.rs.scope, ...change }
}
