/**
 * Seeded randomness, so `--seed N` gives the same schedule and jitter.
 * mulberry32: tiny, fast, good enough for load jitter (not for secrets).
 */
export type Random = () => number

/** A PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Derive an independent stream for a named consumer (a flow, a fault). */
export function deriveSeed(seed: number, name: string): number {
  let h = seed ^ 0x9e3779b9
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193)
  return h >>> 0
}
