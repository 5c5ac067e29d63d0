/**
 * A virtual clock for tests: time only moves when every pending promise has
 * settled, jumping to the next timer. Lets executor tests run minutes of
 * schedule in milliseconds, with no real sleep.
 */
import type { Clock } from './types.ts'

interface Timer {
  at: number
  resolve(): void
}

export class VirtualClock implements Clock {
  #t: number
  #timers: Timer[] = []

  constructor(start = 0) {
    this.#t = start
  }

  now(): number {
    return this.#t
  }

  sleepUntil(at: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal?.aborted || at <= this.#t) return resolve()
      const timer: Timer = { at, resolve }
      this.#timers.push(timer)
      signal?.addEventListener(
        'abort',
        () => {
          this.#timers = this.#timers.filter((x) => x !== timer)
          resolve()
        },
        { once: true },
      )
    })
  }

  /** Advance virtual time until `work` settles (bounded by `maxSteps`). */
  async run<T>(work: Promise<T>, maxSteps = 1_000_000): Promise<T> {
    let done = false
    work.then(
      () => {
        done = true
      },
      () => {
        done = true
      },
    )
    for (let i = 0; i < maxSteps && !done; i++) {
      await new Promise<void>((r) => setImmediate(r))
      if (done) break
      if (this.#timers.length === 0) throw new Error('virtual clock: nothing scheduled and work not done')
      this.#timers.sort((a, b) => a.at - b.at)
      const next = this.#timers.shift()!
      this.#t = Math.max(this.#t, next.at)
      next.resolve()
    }
    return work
  }
}
