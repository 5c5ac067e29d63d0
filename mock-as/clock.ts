/**
 * The AS clock: an injectable base clock plus the chaos offset. Every
 * timestamp written into a token and every expiry check goes through
 * {@link AsClock.now}; scheduling (rotation timers) and event times use the
 * base clock, so the runner can line events up with its own timeline.
 */
export class AsClock {
  offsetSeconds = 0
  constructor(readonly base: () => number = Date.now) {}

  /** Skewed epoch ms. */
  now(): number {
    return this.base() + this.offsetSeconds * 1000
  }

  /** Skewed epoch seconds (integer), as JWT claims use. */
  nowSeconds(): number {
    return Math.floor(this.now() / 1000)
  }
}
