/** The control contract of mock-rs: its control API (`/_control`), as the harness drives it. */
import type { EventFeed } from '../src/util/component/events.ts'

/** mock-rs control (`/_control`). */
export interface RsControl extends EventFeed {
  setClockOffset(seconds: number): Promise<void>
  stats(): Promise<Record<string, unknown>>
  reset(): Promise<void>
}
