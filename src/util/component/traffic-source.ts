/**
 * Deliberate traffic is marked (DESIGN.md's decisions): a probe, an attack or
 * a fault that sends a request on purpose adds `x-gameday-probe: <id>`, and
 * the reference components count it under `source="probe"`, everything else
 * under `source="load"`, so SLO rules and scoring can leave it out.
 */

/** The request header that marks deliberate traffic. */
export const PROBE_HEADER = 'x-gameday-probe'

/** The `source` label value of a request. */
export type TrafficSource = 'probe' | 'load'

/**
 * The `source` of a request, from its (Node, lower-cased) headers.
 *
 * @example trafficSource({ 'x-gameday-probe': 'pkce-enforcement' }) // 'probe'
 */
export function trafficSource(headers: Readonly<Record<string, string | string[] | undefined>>): TrafficSource {
  return headers[PROBE_HEADER] === undefined ? 'load' : 'probe'
}
