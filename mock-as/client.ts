/**
 * Typed client for the mock-as chaos API (`/_chaos`), implementing AsControl.
 * Every failure is a GamedayError('ERR_CONTROL_REQUEST_FAILED') naming the call.
 */
import { GamedayError } from '../src/errors.ts'
import type { ComponentEvent } from '../src/util/component/events.ts'
import type { AsControl, RotateRequest, RotateResult } from './control.ts'

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
  const base = baseUrl.replace(/\/$/, '')
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${adminToken}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(10_000),
      })
    } catch (cause) {
      throw new GamedayError('ERR_CONTROL_REQUEST_FAILED', `mock-as ${method} ${path}: ${(cause as Error).message}`, { cause })
    }
    const text = await res.text()
    if (!res.ok) {
      let detail = text.slice(0, 300)
      try {
        const j = JSON.parse(text) as { error_description?: string }
        if (j.error_description) detail = j.error_description
      } catch {}
      throw new GamedayError('ERR_CONTROL_REQUEST_FAILED', `mock-as ${method} ${path}: ${res.status} ${detail}`)
    }
    return (text ? JSON.parse(text) : undefined) as T
  }
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
    revoke: (opts) => call<{ revoked: number }>('POST', '/_chaos/revoke', opts),
    state: () => call<Record<string, unknown>>('GET', '/_chaos/state'),
    async reset() {
      await call('POST', '/_chaos/reset')
    },
  }
}
