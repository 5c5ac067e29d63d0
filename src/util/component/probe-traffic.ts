/**
 * Deliberate traffic is marked (DESIGN.md's decisions): every request a
 * probe, an attack or a fault sends on purpose carries
 * `x-gameday-probe: <unit id>`, and the reference components count it under
 * `source="probe"` in their metrics, so SLO rules can select
 * `source!="probe"` and measure only the load.
 */

/** The header deliberate traffic carries; its value is the id of the unit that sent it. */
export const PROBE_HEADER = 'x-gameday-probe'

/** The `source` label of a request: `probe` when marked, else `load`. */
export type TrafficSource = 'probe' | 'load'

/**
 * Where a request came from, by its (lower-case, Node-style) headers.
 *
 * @example sourceOf({ 'x-gameday-probe': 'fail-open' }) // 'probe'
 */
export function sourceOf(headers: Record<string, string | string[] | undefined>): TrafficSource {
  return headers[PROBE_HEADER] === undefined ? 'load' : 'probe'
}
