/**
 * Memory: resident memory after a 60 s run at a high rate stays within 2×
 * of the memory after 5 s (per-second histograms are encoded and released,
 * so memory follows series × seconds, not the request count).
 */
import { HIGH_RATE_LOAD, runEngine, startFixture } from './harness.ts'

export interface MemoryFigures {
  rate: number
  rssAt5sMb: number
  rssAtEndMb: number
  ratio: number
  requests: number
  pass: boolean
}

export async function benchMemory(opts: { rate?: number; durationS?: number } = {}): Promise<MemoryFigures> {
  const rate = opts.rate ?? 2000
  const durationS = opts.durationS ?? 60
  const fixture = await startFixture()
  try {
    let at5 = 0
    let atEnd = 0
    // the same VUs and sockets as the max-rate search whose rate it runs at
    const run = await runEngine(
      fixture.url,
      '/hello',
      rate,
      durationS,
      HIGH_RATE_LOAD.flow,
      (p) => {
        const rss = process.memoryUsage().rss
        if (!at5 && p.elapsedMs >= 5000) at5 = rss
        if (p.elapsedMs >= (durationS - 1) * 1000) atEnd = rss
      },
      HIGH_RATE_LOAD.plan,
    )
    atEnd ||= process.memoryUsage().rss
    const requests = run.result.series.reduce((s, x) => s + x.buckets.reduce((a, b) => a + b.count, 0), 0)
    const mb = (b: number) => Math.round(b / 1e5) / 10
    return {
      rate,
      rssAt5sMb: mb(at5),
      rssAtEndMb: mb(atEnd),
      ratio: at5 ? atEnd / at5 : Number.NaN,
      requests,
      pass: at5 > 0 && atEnd <= 2 * at5,
    }
  } finally {
    await fixture.stop()
  }
}
