/**
 * The mock-as event log: every state change and security event, numbered from
 * 1, kept in memory (bounded) and emitted in process on 'event'. The shared
 * component event log, with mock-as's bound and an empty `data` by default.
 */
import type { ComponentEvent } from '../src/util/component/events.ts'
import { EventLog as ComponentEventLog } from '../src/util/component/event-log.ts'

const MAX_EVENTS = 20_000

export class EventLog extends ComponentEventLog {
  constructor(clock: () => number) {
    super(clock, MAX_EVENTS)
  }

  /** Record and emit an event; `data` must never hold a token value. */
  override emit(type: string, data: Record<string, unknown> = {}): ComponentEvent {
    return super.emit(type, data)
  }
}
