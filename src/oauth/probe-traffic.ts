/**
 * Deliberate traffic is marked (DESIGN.md's decisions): every request a
 * probe, an attack or a fault sends on purpose carries this header with the
 * unit's id, so reference components can count it apart and SLO rules can
 * exclude it.
 */

/** The header name; its value is the id of the unit that sent the request. */
export const PROBE_HEADER = 'x-gameday-probe'

/**
 * Headers that mark a request as deliberate traffic of `unit`.
 *
 * @example
 * ```ts
 * await fetch(url, { headers: { ...probeHeaders('jwt-attacks'), authorization: `Bearer ${token}` } })
 * ```
 */
export function probeHeaders(unit: string): Record<string, string> {
  return { [PROBE_HEADER]: unit }
}
