/**
 * Latency truth on the stalling route: the fixture's `/stall` holds every
 * response once for 1 s, 7 s after its first request, while each peer aims
 * at 200 req/s in its own way of pacing (see `LoadGenerator.paced`). A paced
 * connection (wrk's `delay()`, autocannon's `--overallRate`) waits for the
 * stalled response, so what its p99 shows depends on the tool's own
 * correction for the requests it did not send; arrivals (Artillery, the
 * engine's open model) keep coming through the stall. Each peer gets
 * a fresh fixture so the stall falls at the same offset of its run; the
 * peers' figures include their first 2 s (none can leave a warm-up out).
 */
import { generators as allGenerators, type GeneratorRun, type LoadGenerator } from './generators.ts'
import { startFixture } from './harness.ts'

export interface StallFigures {
  rate: number
  seconds: number
  runs: Partial<Record<LoadGenerator['id'], GeneratorRun>>
  labels: Partial<Record<LoadGenerator['id'], string>>
  missing: Partial<Record<LoadGenerator['id'], string>>
}

export async function benchPeersStall(
  opts: {
    rate?: number
    warmS?: number
    durationS?: number
    connections?: number
    generators?: readonly LoadGenerator[]
    log?: (l: string) => void
  } = {},
): Promise<StallFigures> {
  const rate = opts.rate ?? 200
  const warmS = opts.warmS ?? 2
  const durationS = opts.durationS ?? 10
  const connections = opts.connections ?? 10
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`))
  const out: StallFigures = { rate, seconds: warmS + durationS, runs: {}, labels: {}, missing: {} }
  for (const g of opts.generators ?? allGenerators) {
    if (!g.paced) continue
    out.labels[g.id] = g.label
    const why = g.missing()
    if (why) {
      out.missing[g.id] = why
      log(`  peers-stall: ${g.label} is missing, its entry is skipped: ${why}`)
      continue
    }
    const fixture = await startFixture({ STALL_AFTER_MS: String((warmS + 5) * 1000), STALL_MS: '1000' })
    try {
      const r = await g.paced(`${fixture.url}/stall`, { rate, seconds: warmS + durationS, connections })
      out.runs[g.id] = r
      log(
        `  peers-stall ${g.label}: p99 ${r.p99Ms.toFixed(1)} ms at ${Math.round(r.rps)} req/s achieved (aimed ${rate})`,
      )
    } finally {
      await fixture.stop()
    }
  }
  return out
}
