/** The control contract of the fault proxy: its control API (`/_proxy`, see README.md), as the harness drives it. */
import type { EventFeed } from '../src/util/component/events.ts'

export type ToxicType = 'latency' | 'error' | 'rate-limit' | 'timeout' | 'reset' | 'slow-body'

export interface Toxic {
  type: ToxicType
  name?: string
  /** Only requests whose path starts with this are affected. */
  pathPrefix?: string
  /** Share of matching requests affected, 0–1. */
  toxicity?: number
  /** Type-specific attributes: latencyMs, jitterMs, status, rate, burst, bytesPerSecond, ... */
  attributes?: Record<string, number | string>
}

/** HTTP fault proxy control (`/_proxy`). */
export interface ProxyControl extends EventFeed {
  addToxic(toxic: Toxic): Promise<{ name: string }>
  removeToxic(name: string): Promise<void>
  listToxics(): Promise<Toxic[]>
  reset(): Promise<void>
}
