/**
 * The mock-as event log: every state change and security event, numbered from
 * 1, kept in memory (bounded) and emitted in process on 'event'.
 */
import { EventEmitter } from 'node:events'
import type { ComponentEvent } from '../src/util/component/events.ts'

const MAX_EVENTS = 20_000

export class EventLog {
  readonly emitter = new EventEmitter()
  private readonly events: ComponentEvent[] = []
  private seq = 0

  constructor(private readonly clock: () => number) {
    this.emitter.setMaxListeners(0)
  }

  /** Record and emit an event; `data` must never hold a token value. */
  emit(type: string, data: Record<string, unknown> = {}): ComponentEvent {
    const event: ComponentEvent = { seq: ++this.seq, time: this.clock(), type, data }
    this.events.push(event)
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS)
    this.emitter.emit('event', event)
    return event
  }

  /** Events with seq > since, in order. */
  since(since: number): ComponentEvent[] {
    const first = this.events[0]
    if (!first) return []
    const start = Math.max(0, since - first.seq + 1)
    return this.events.slice(start)
  }
}
