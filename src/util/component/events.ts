/**
 * The event feed every component exposes (`GET <control prefix>/events?since=N`)
 * and the harness polls.
 */

/** A server-side event as the reference components expose it (`GET …/events?since=N`). */
export interface ComponentEvent {
  seq: number
  /** Epoch ms. */
  time: number
  type: string
  data?: Record<string, unknown>
}

/** Anything the runner can poll for events. */
export interface EventFeed {
  /** `mock-as`, `cdn`, `fault-proxy`, `rs:<name>`. */
  readonly source: string
  /** Events with seq > since, in order. */
  poll(since: number): Promise<ComponentEvent[]>
}
