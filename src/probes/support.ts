/**
 * Helpers shared by probes: a deadline signal combining the run's signal with
 * the probe's `timeout`, and a token minter for the RS a probe measures.
 */
import { clientCredentials, type TokenResponse } from '../oauth/client.ts'
import { endpointsOf, pickClient } from '../faults/support.ts'
import type { RsTarget, Targets } from '../runtime/types.ts'
import { durationMs } from '../util/duration.ts'

/** A signal that aborts on the run's signal or after `timeout`; `expired()` tells which. */
export function deadline(
  signal: AbortSignal,
  timeout: string,
): { signal: AbortSignal; expired(): boolean; endsAt: number } {
  const ms = durationMs(timeout)
  const timer = AbortSignal.timeout(ms)
  return {
    signal: AbortSignal.any([signal, timer]),
    expired: () => timer.aborted && !signal.aborted,
    endsAt: Date.now() + ms,
  }
}

/** Mint a client_credentials token for an RS (its scope; its audience as RFC 8707 resource when asked). */
export function mintFor(
  targets: Targets,
  unit: string,
  rs: RsTarget | undefined,
  opts: { clientId?: string; resource?: boolean; signal?: AbortSignal } = {},
): Promise<TokenResponse> {
  const client = pickClient(targets, unit, 'client_credentials', opts.clientId)
  return clientCredentials(endpointsOf(targets, unit), client, {
    ...(rs?.scope ? { scope: rs.scope } : {}),
    ...(opts.resource && rs?.audience ? { resource: rs.audience } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  })
}

/** Round to 0.1 ms for readable reports. */
export function round(ms: number): number {
  return Math.round(ms * 10) / 10
}
