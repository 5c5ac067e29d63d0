/**
 * Typed client of the HTTP fault proxy control API (`/_proxy`), the
 * {@link ProxyControl} the runner and the faults use.
 */
import type { ComponentEvent } from '../src/util/component/events.ts'
import type { ProxyControl, Toxic } from './control.ts'
import { controlCaller } from '../src/util/component/control-client.ts'

/** What `GET /_proxy/stats` answers. */
export interface ProxyStats {
  requests: number
  forwarded: number
  upstreamErrors: number
  /** Requests each toxic acted on, by toxic name. */
  byToxic: Record<string, number>
  byType: Record<string, number>
  toxics: number
}

/** ProxyControl plus the extra calls the proxy offers. */
export interface ProxyControlClient extends ProxyControl {
  /** Change scope, toxicity or attributes (merged) of a toxic. */
  updateToxic(
    name: string,
    patch: { pathPrefix?: string | null; toxicity?: number; attributes?: Record<string, number | string> },
  ): Promise<Toxic>
  stats(): Promise<ProxyStats>
  state(): Promise<Record<string, unknown>>
}

/**
 * Client for a proxy started by `serveProxy`.
 *
 * @example
 * ```ts
 * const proxy = createProxyControl(served.url, served.adminToken)
 * const { name } = await proxy.addToxic({ type: 'error', pathPrefix: '/introspect', toxicity: 0.5, attributes: { status: 503 } })
 * await proxy.removeToxic(name)
 * ```
 */
export function createProxyControl(baseUrl: string, adminToken: string): ProxyControlClient {
  const call = controlCaller('fault-proxy', baseUrl, adminToken)
  return {
    source: 'fault-proxy',
    async poll(since: number): Promise<ComponentEvent[]> {
      const res = await call<{ events: ComponentEvent[] }>('GET', `/_proxy/events?since=${since}`)
      return res.events
    },
    async addToxic(toxic) {
      const res = await call<Toxic & { name: string }>('POST', '/_proxy/toxics', toxic)
      return { name: res.name }
    },
    updateToxic: (name, patch) => call('PATCH', `/_proxy/toxics/${encodeURIComponent(name)}`, patch),
    async removeToxic(name) {
      await call('DELETE', `/_proxy/toxics/${encodeURIComponent(name)}`)
    },
    async listToxics() {
      return (await call<{ toxics: Toxic[] }>('GET', '/_proxy/toxics')).toxics
    },
    stats: () => call('GET', '/_proxy/stats'),
    state: () => call('GET', '/_proxy/state'),
    async reset() {
      await call('POST', '/_proxy/reset', {})
    },
  }
}
