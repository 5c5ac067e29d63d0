/**
 * Accuracy: against a route that answers after a fixed 20 ms, at 500 req/s,
 * the engine must measure p50 within 20 ± 2 ms and p99 ≤ 25 ms (after a
 * warm-up second that is excluded from the window).
 */
import { runEngine, startFixture } from './harness.ts'

export interface AccuracyFigures {
  p50: number
  p99: number
  p50Uncorrected: number
  p99Uncorrected: number
  achievedRate: number
  pass: boolean
}

export async function benchAccuracy(opts: { rate?: number; durationS?: number } = {}): Promise<AccuracyFigures> {
  const rate = opts.rate ?? 500
  const durationS = opts.durationS ?? 10
  const fixture = await startFixture({ FIXED_MS: '20' })
  try {
    const run = await runEngine(fixture.url, '/fixed', rate, durationS)
    const from = 2
    const p50 = run.p(50, from, durationS)
    const p99 = run.p(99, from, durationS)
    return {
      p50,
      p99,
      p50Uncorrected: run.p(50, from, durationS, 'uncorrected'),
      p99Uncorrected: run.p(99, from, durationS, 'uncorrected'),
      achievedRate: Math.round(run.rate(from, durationS)),
      pass: Math.abs(p50 - 20) <= 2 && p99 <= 25,
    }
  } finally {
    await fixture.stop()
  }
}
