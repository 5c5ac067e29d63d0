/** The JWT attack catalog (RFC 8725 §3, RFC 9068 §4, RFC 9700): an explicit object, the key is the attack id in findings and docs. */
import { algNone } from './alg-none.ts'
import { embeddedJwk } from './embedded-jwk.ts'
import { expired } from './expired.ts'
import { hs256KeyConfusion } from './hs256-key-confusion.ts'
import { jkuInjection } from './jku-injection.ts'
import { kidInjection } from './kid-injection.ts'
import { missingExp } from './missing-exp.ts'
import { notYetValid } from './not-yet-valid.ts'
import { oversizeToken } from './oversize-token.ts'
import { refreshAsAccess } from './refresh-as-access.ts'
import { scopeEscalation } from './scope-escalation.ts'
import { strippedSignature } from './stripped-signature.ts'
import { tamperedSignature } from './tampered-signature.ts'
import { tokenInQuery } from './token-in-query.ts'
import type { AttackDefinition } from './types.ts'
import { typConfusion } from './typ-confusion.ts'
import { unknownKidFlood } from './unknown-kid-flood.ts'
import { wrongAudience } from './wrong-audience.ts'
import { wrongIssuer } from './wrong-issuer.ts'
import { x5uInjection } from './x5u-injection.ts'

export const attacks: Record<string, AttackDefinition> = {
  'alg-none': algNone,
  'hs256-key-confusion': hs256KeyConfusion,
  'tampered-signature': tamperedSignature,
  'stripped-signature': strippedSignature,
  'embedded-jwk': embeddedJwk,
  'jku-injection': jkuInjection,
  'x5u-injection': x5uInjection,
  'kid-injection': kidInjection,
  'unknown-kid-flood': unknownKidFlood,
  'wrong-issuer': wrongIssuer,
  'wrong-audience': wrongAudience,
  expired,
  'not-yet-valid': notYetValid,
  'missing-exp': missingExp,
  'typ-confusion': typConfusion,
  'scope-escalation': scopeEscalation,
  'token-in-query': tokenInQuery,
  'refresh-as-access': refreshAsAccess,
  'oversize-token': oversizeToken,
}

/** Attack ids in catalog order. */
export const ATTACK_IDS = Object.keys(attacks)
