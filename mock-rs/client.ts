/**
 * Typed client of the mock-rs control API (`/_control`), implementing the
 * runner's RsControl contract.
 */
import type { ComponentEvent } from '../src/util/component/events.ts'
import type { RsControl } from './control.ts'
import { GamedayError } from '../src/errors.ts'

const TIMEOUT_MS = 5000

/** RsControl plus the extras mock-rs offers. */
export interface MockRsControl extends RsControl {
  state(): Promise<Record<string, unknown>>
}

/**
 * A control client for one mock-rs.
 *
 * @example
 * ```ts
 * const rs = createRsControl(url, adminToken, 'orders')
 * await rs.setClockOffset(-90)
 * const { validations } = await rs.stats()
 * ```
 */
export function createRsControl(baseUrl: string, adminToken: string, name: string): MockRsControl {
  const base = baseUrl.replace(/\/+$/, '')
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response
    try {
      res = await fetch(`${base}/_control${path}`, {
        method,
        headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      })
    } catch (err) {
      throw new GamedayError('ERR_CONTROL_REQUEST_FAILED', `rs:${name}: ${method} /_control${path} failed (${(err as Error).message})`, { cause: err })
    }
    const text = await res.text()
    if (!res.ok) {
      throw new GamedayError('ERR_CONTROL_REQUEST_FAILED', `rs:${name}: ${method} /_control${path} answered ${res.status} ${text.slice(0, 200)}`)
    }
    return (text ? JSON.parse(text) : undefined) as T
  }
  return {
    source: `rs:${name}`,
    async poll(since: number): Promise<ComponentEvent[]> {
      const { events } = await call<{ events: ComponentEvent[] }>('GET', `/events?since=${Math.max(0, Math.floor(since))}`)
      return events
    },
    async setClockOffset(seconds: number): Promise<void> {
      await call('PUT', '/clock', { offsetSeconds: seconds })
    },
    stats: () => call<Record<string, unknown>>('GET', '/stats'),
    state: () => call<Record<string, unknown>>('GET', '/state'),
    async reset(): Promise<void> {
      await call('POST', '/reset')
    },
  }
}
