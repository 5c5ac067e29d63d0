/**
 * Helpers shared by probes: a deadline signal combining the run's signal with
 * the probe's `timeout`, how a search bounded by it ended, and a token minter
 * for the RS a probe measures.
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

/** What ended a bounded search early, for its result: the deadline (or the run's end), else the error itself. */
export function searchError(limit: { signal: AbortSignal }, err: unknown): string {
  if (limit.signal.aborted) return 'the search did not finish before the timeout'
  return err instanceof Error ? err.message : String(err)
}

/** A bounded search's result status: `ok`, `timeout` when its own deadline ended it, else `failed`. */
export function searchStatus(limit: { expired(): boolean }, error: string | undefined): 'ok' | 'timeout' | 'failed' {
  return error ? (limit.expired() ? 'timeout' : 'failed') : 'ok'
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
