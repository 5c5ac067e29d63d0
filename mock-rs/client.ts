/**
 * Typed client of the mock-rs control API (`/_control`), implementing the
 * runner's RsControl contract.
 */
import type { ComponentEvent } from '../src/util/component/events.ts'
import type { RsControl } from './control.ts'
import { controlCaller } from '../src/util/component/control-client.ts'

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
export function createRsControl(baseUrl: string, adminToken: string, name: string): RsControl {
  const control = controlCaller(`rs:${name}`, baseUrl, adminToken)
  const call = <T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown) =>
    control<T>(method, `/_control${path}`, body)
  return {
    source: `rs:${name}`,
    async poll(since: number): Promise<ComponentEvent[]> {
      const { events } = await call<{ events: ComponentEvent[] }>(
        'GET',
        `/events?since=${Math.max(0, Math.floor(since))}`,
      )
      return events
    },
    async setClockOffset(seconds: number): Promise<void> {
      await call('PUT', '/clock', { offsetSeconds: seconds })
    },
    stats: () => call<Record<string, unknown>>('GET', '/stats'),
    state: () => call<Record<string, unknown>>('GET', '/state'),
    setDpop: (knobs) => call<Record<string, unknown>>('PUT', '/dpop', knobs),
    async reset(): Promise<void> {
      await call('POST', '/reset')
    },
  }
}
