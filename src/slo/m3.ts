/**
 * M3 — token validation failure rate at the resource servers, for tokens the
 * client believes valid: a 401 (RFC 6750 §3.1 `invalid_token`) or a 503
 * `validator_unavailable` on a token that should have been accepted. Traffic
 * tagged `token=revoked` or `token=attacker` is excluded (refusing it is
 * correct), and so is `insufficient_scope` (a 403 about scope, not validity).
 *
 * A 503 `validator_unavailable` counts as a failed validation: from the
 * client's side a valid token was not honoured, whether the RS said "invalid"
 * or "cannot tell". Transport errors count in the total but not as failures
 * (they say nothing about validation).
 *
 * Models the classic key-rotation and clock-skew incidents: an RS that caches
 * the key set too long (`unknown_kid`) or tolerates no skew (`expired`).
 */
import type { Series } from '../record.ts'
import { faultsDuring, pct, rateIndicator, seriesOf, topKey } from './data.ts'
import type { SloDefinition } from './types.ts'

/** True when this series is a validation failure of a token the client believes valid. */
export function isValidationFailure(s: Series): boolean {
  if (!s.failed) return false
  const { status, error, reason } = s.tags
  if (reason === 'insufficient_scope' || error === 'insufficient_scope') return false
  if (status === '401') return true
  if (status === '403' && error === 'invalid_token') return true
  if (status === '503' && reason === 'validator_unavailable') return true
  return false
}

const EXPLAIN: Record<string, string> = {
  unknown_kid: 'RS did not refetch the key set after the new kid appeared',
  bad_signature: 'tokens signed with a key the RS does not hold (key rotated or pulled while tokens lived)',
  expired: 'clock skew beyond the RS tolerance (tokens seen as expired)',
  not_yet_valid: 'clock skew beyond the RS tolerance (tokens seen as not yet valid)',
  validator_unavailable: 'introspection/JWKS outage reached clients',
  inactive: 'introspection reported live tokens inactive (AS state lost or introspection misrouted)',
  wrong_aud: 'audience mismatch between the tokens issued and the RS configuration',
  wrong_iss: 'issuer mismatch between the tokens issued and the RS configuration',
  wrong_typ: 'token type (typ) mismatch: the RS expects at+jwt (RFC 9068)',
  bad_alg: 'signing algorithm refused by the RS',
  malformed: 'clients sent malformed tokens',
}

export const m3: SloDefinition = {
  id: 'M3',
  title: 'token validation failure rate at the RSs (valid tokens)',
  objective: 'rate<0.001',
  window: 'run',
  severity: 'critical',
  feeders: { flows: ['api-call', 'browser-login', 'introspection'] },
  indicator: (record, window, target, threshold) =>
    rateIndicator(
      seriesOf(record, ['rs_request'], target).filter(
        (s) =>
          s.tags.token !== 'revoked' &&
          s.tags.token !== 'attacker' &&
          s.tags.reason !== 'insufficient_scope' &&
          s.tags.error !== 'insufficient_scope',
      ),
      window,
      { isBad: isValidationFailure, badShare: true, ...(threshold ? { threshold } : {}) },
    ),
  attribute(record, window, value) {
    const top = topKey(value.breakdown)
    if (!top) return undefined
    const faults = faultsDuring(record, window)
    const during = faults.length ? ` during ${faults.join(', ')}` : ''
    const why = EXPLAIN[top.key] ?? `most rejections: ${top.key}`
    return `${why} (${pct(top.share)} of rejections: ${top.key})${during}`
  },
}
