/**
 * Deliberate traffic is marked (DESIGN.md's decisions): every request a
 * probe, an attack or a fault sends on purpose carries this header with the
 * unit's id, so reference components can count it apart and SLO rules can
 * exclude it.
 */

import { PROBE_HEADER } from '../util/component/probe-traffic.ts'

export { PROBE_HEADER }

/**
 * Headers that mark a request as deliberate traffic of `unit`.
 *
 * @example
 * ```ts
 * await send(url, { headers: { ...probeHeaders('jwt-attacks'), authorization: `Bearer ${token}` } })
 * ```
 */
export function probeHeaders(unit: string): Record<string, string> {
  return { [PROBE_HEADER]: unit }
}
