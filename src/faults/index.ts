/** The fault registry: an explicit object, the key is the id used as `fault:` in YAML. */
import { assertionAudChange } from './assertion-aud-change.ts'
import { badKeyRotation } from './bad-key-rotation.ts'
import { clockSkew } from './clock-skew.ts'
import { dpopClientClockSkew } from './dpop-client-clock-skew.ts'
import { dpopNonceRotation } from './dpop-nonce-rotation.ts'
import { dpopProofReplay } from './dpop-proof-replay.ts'
import { introspectionRateLimit } from './introspection-rate-limit.ts'
import { jwksOutage } from './jwks-outage.ts'
import { leakedRefreshToken } from './leaked-refresh-token.ts'
import { revocation } from './revocation.ts'
import { staleJwksCdn } from './stale-jwks-cdn.ts'
import { stolenDpopToken } from './stolen-dpop-token.ts'
import { tokenEndpointOverload } from './token-endpoint-overload.ts'
import type { FaultDefinition } from './types.ts'

export const faults: Record<string, FaultDefinition> = {
  'bad-key-rotation': badKeyRotation,
  'stale-jwks-cdn': staleJwksCdn,
  'jwks-outage': jwksOutage,
  'introspection-rate-limit': introspectionRateLimit,
  'clock-skew': clockSkew,
  'leaked-refresh-token': leakedRefreshToken,
  revocation: revocation,
  'token-endpoint-overload': tokenEndpointOverload,
  'assertion-aud-change': assertionAudChange,
  'stolen-dpop-token': stolenDpopToken,
  'dpop-proof-replay': dpopProofReplay,
  'dpop-client-clock-skew': dpopClientClockSkew,
  'dpop-nonce-rotation': dpopNonceRotation,
}
