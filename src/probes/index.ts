/** The probe registry: an explicit object, the key is the id used as `probe:` in YAML. */
import { asExposure } from './as-exposure.ts'
import { clockSkewTolerance } from './clock-skew-tolerance.ts'
import { dpopIatWindow } from './dpop-iat-window.ts'
import { failOpen } from './fail-open.ts'
import { jwksRefreshLatency } from './jwks-refresh-latency.ts'
import { jwtAttacks } from './jwt-attacks.ts'
import { pkceEnforcement } from './pkce-enforcement.ts'
import { refreshReuseDetection } from './refresh-reuse-detection.ts'
import { revocationPropagation } from './revocation-propagation.ts'
import type { ProbeDefinition } from './types.ts'

export const probes: Record<string, ProbeDefinition> = {
  'jwks-refresh-latency': jwksRefreshLatency,
  'revocation-propagation': revocationPropagation,
  'refresh-reuse-detection': refreshReuseDetection,
  'clock-skew-tolerance': clockSkewTolerance,
  'fail-open': failOpen,
  'pkce-enforcement': pkceEnforcement,
  'jwt-attacks': jwtAttacks,
  'as-exposure': asExposure,
  'dpop-iat-window': dpopIatWindow,
}
