/**
 * Coordinated omission: a route that stalls once for 1 s during a 10 s run at
 * 200 req/s. The corrected p99 (from the intended start) must show the stall
 * (≥ 400 ms); the uncorrected figure and autocannon's (closed model, whose
 * own correction assumes a 1 ms interval) are printed beside it.
 */
import { runAutocannon, runEngine, startFixture } from './harness.ts'

export interface CoFigures {
  correctedP99: number
  uncorrectedP99: number
  /** Absent when the peer was not run (opts.peer false). */
  autocannonP99?: number
  correctedMax: number
  pass: boolean
}

export async function benchCoordinatedOmission(
  opts: { rate?: number; durationS?: number; peer?: boolean } = {},
): Promise<CoFigures> {
  const rate = opts.rate ?? 200
  const durationS = opts.durationS ?? 10
  // 2 warm-up seconds (excluded), then 10 measured seconds; the stall starts 7 s after the route's first request, for 1 s
  const warmS = 2
  const env = { STALL_AFTER_MS: String((warmS + 5) * 1000), STALL_MS: '1000' }
  const engineFixture = await startFixture(env)
  let corrected: number
  let uncorrected: number
  let correctedMax: number
  try {
    const run = await runEngine(engineFixture.url, '/stall', rate, warmS + durationS, {
      preAllocatedVUs: 50,
      maxVUs: 400,
    })
    corrected = run.p(99, warmS, warmS + durationS)
    uncorrected = run.p(99, warmS, warmS + durationS, 'uncorrected')
    correctedMax = run.p(100, warmS, warmS + durationS)
  } finally {
    await engineFixture.stop()
  }
  if (opts.peer === false)
    return { correctedP99: corrected, uncorrectedP99: uncorrected, correctedMax, pass: corrected >= 400 }
  const cannonFixture = await startFixture(env)
  let cannon: number
  try {
    // autocannon runs warm-up plus measured time too; the stall falls at the same offset
    cannon = (await runAutocannon(`${cannonFixture.url}/stall`, warmS + durationS, 10)).p99
  } finally {
    await cannonFixture.stop()
  }
  return {
    correctedP99: corrected,
    uncorrectedP99: uncorrected,
    autocannonP99: cannon,
    correctedMax,
    pass: corrected >= 400,
  }
}
