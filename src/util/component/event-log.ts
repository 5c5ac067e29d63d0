/**
 * The event log every component keeps for its control API's
 * `GET …/events?since=N`: numbered from 1, bounded in memory, emitted in
 * process on `'event'`. One rule for `since`: the events with `seq > since`,
 * in order (so `since=0`, or any negative number, is everything kept).
 */
import { EventEmitter } from 'node:events'
import type { ComponentEvent } from './events.ts'

export class EventLog {
  /** Emits `'event'` with each {@link ComponentEvent} as it is recorded. */
  readonly emitter = new EventEmitter()
  private readonly items: ComponentEvent[] = []
  private seq = 0

  /**
   * @example
   * ```ts
   * const events = new EventLog(() => Date.now(), 5000)
   * events.emit('key.rotated', { kid })
   * events.since(0) // [{ seq: 1, time, type: 'key.rotated', data: { kid } }]
   * ```
   */
  constructor(
    private readonly clock: () => number,
    private readonly max = 10_000,
  ) {
    this.emitter.setMaxListeners(0)
  }

  /** Record and emit an event; `data` must never hold a secret. */
  emit(type: string, data?: Record<string, unknown>): ComponentEvent {
    this.seq += 1
    const event: ComponentEvent = data
      ? { seq: this.seq, time: this.clock(), type, data }
      : { seq: this.seq, time: this.clock(), type }
    this.items.push(event)
    if (this.items.length > this.max) this.items.splice(0, this.items.length - this.max)
    this.emitter.emit('event', event)
    return event
  }

  /** Events with seq > since, in order. */
  since(since: number): ComponentEvent[] {
    const first = this.items.findIndex((e) => e.seq > since)
    return first < 0 ? [] : this.items.slice(first)
  }
}
