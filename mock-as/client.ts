/**
 * Typed client for the mock-as chaos API (`/_chaos`), implementing AsControl.
 * Every failure is a GamedayError('ERR_CONTROL_REQUEST_FAILED') naming the call
 * (the shared control client of src/util/component/).
 */
import { controlCaller } from '../src/util/component/control-client.ts'
import type { ComponentEvent } from '../src/util/component/events.ts'
import { registerSecret } from '../src/util/secrets.ts'
import type { AsControl, MintRequest, MintResult, RotateRequest, RotateResult } from './control.ts'

/**
 * Create a control handle for a running mock-as.
 *
 * @example
 * ```ts
 * const as = createAsControl('http://127.0.0.1:9000', adminToken)
 * await as.rotate({ mode: 'sign-before-publish', unpublishedFor: '15s' })
 * const events = await as.poll(0)
 * ```
 */
export function createAsControl(baseUrl: string, adminToken: string): AsControl {
  const call = controlCaller('mock-as', baseUrl, adminToken)
  return {
    source: 'mock-as',
    async poll(since: number): Promise<ComponentEvent[]> {
      return (await call<{ events: ComponentEvent[] }>('GET', `/_chaos/events?since=${since}`)).events
    },
    rotate: (req: RotateRequest) => call<RotateResult>('POST', '/_chaos/rotate', req),
    async setClockOffset(seconds) {
      await call('PUT', '/_chaos/clock', { offsetSeconds: seconds })
    },
    async setTokenLatency(opts) {
      await call('PUT', '/_chaos/token-latency', opts)
    },
    async setTokenErrors(opts) {
      await call('PUT', '/_chaos/token-errors', opts)
    },
    async setTokenCost(opts) {
      await call('PUT', '/_chaos/token-cost', opts)
    },
    async setIntrospectionRateLimit(opts) {
      if (opts === null) await call('DELETE', '/_chaos/introspection-rate-limit')
      else await call('PUT', '/_chaos/introspection-rate-limit', opts)
    },
    async setRefreshReuseDetection(enabled) {
      await call('PUT', '/_chaos/refresh-reuse-detection', { enabled })
    },
    setDpop: (knobs) => call('PUT', '/_chaos/dpop', knobs),
    async setAssertionAudience(audience) {
      await call('PUT', '/_chaos/assertion-audience', { audience })
    },
    revoke: (opts) => call<{ revoked: number }>('POST', '/_chaos/revoke', opts),
    async mint(req: MintRequest) {
      const r = await call<MintResult>('POST', '/_chaos/mint', req)
      registerSecret(r.token)
      return r
    },
    state: () => call<Record<string, unknown>>('GET', '/_chaos/state'),
    async reset() {
      await call('POST', '/_chaos/reset')
    },
  }
}
