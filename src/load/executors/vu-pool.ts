/**
 * The VU pool of the arrival-rate executors: `preAllocatedVUs` ready at start,
 * grown one by one up to `maxVUs` when an arrival finds every VU busy. A VU is
 * what carries per-iteration state; an arrival that finds none is dropped
 * (k6's `dropped_iterations`) rather than queued, so the open model stays open.
 */

/** One virtual user. */
export interface Vu {
  readonly id: number
  /** Iterations this VU has run. */
  iterations: number
}

export class VuPool {
  readonly #free: Vu[] = []
  #allocated = 0
  #busy = 0

  constructor(
    preAllocated: number,
    readonly max: number,
  ) {
    for (let i = 0; i < Math.min(preAllocated, max); i++) this.#free.push(this.#create())
  }

  #create(): Vu {
    this.#allocated++
    return { id: this.#allocated, iterations: 0 }
  }

  /** A free VU (allocating one when below `max`), or `undefined` when the iteration must be dropped. */
  acquire(): Vu | undefined {
    let vu = this.#free.pop()
    if (!vu && this.#allocated < this.max) vu = this.#create()
    if (vu) this.#busy++
    return vu
  }

  release(vu: Vu): void {
    this.#busy--
    this.#free.push(vu)
  }

  /** VUs currently running an iteration. */
  get active(): number {
    return this.#busy
  }

  /** VUs allocated so far (k6's `vus_max`). */
  get allocated(): number {
    return this.#allocated
  }
}
