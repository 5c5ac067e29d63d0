/** The control contract of mock-rs: its control API (`/_control`), as the harness drives it. */
import type { EventFeed } from '../src/util/component/events.ts'

/** mock-rs control (`/_control`). */
export interface RsControl extends EventFeed {
  setClockOffset(seconds: number): Promise<void>
  stats(): Promise<Record<string, unknown>>
  /** The RS's state: profile knobs, caches, clock and `dpop` (its DPoP settings, null when it does not verify DPoP). */
  state(): Promise<Record<string, unknown>>
  /** Move the DPoP knobs of a `dpop: verify` RS (nonces, iat window); returns its DPoP state. */
  setDpop(knobs: RsDpopKnobs): Promise<Record<string, unknown>>
  reset(): Promise<void>
}

/** DPoP knobs of a `dpop: verify` RS (`PUT /_control/dpop`); an omitted key keeps its value. */
export interface RsDpopKnobs {
  /** Require an RS nonce in every proof (RFC 9449 §9). */
  nonceRequired?: boolean
  /** How long a nonce is handed out before it is replaced (the previous one stays valid one more lifetime). */
  nonceLifetimeMs?: number
  /** Seconds a proof iat may be behind the RS clock. */
  iatPastSeconds?: number
  /** Seconds a proof iat may be ahead of the RS clock. */
  iatFutureSeconds?: number
}
