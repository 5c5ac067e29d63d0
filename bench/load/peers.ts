/**
 * Peers side by side: closed-loop max rate on the fixture's `/hello` of the
 * embedded engine's `constant-vus`, wrk, autocannon and Artillery, each a
 * child process measured the same way (bench/lib/cpu-wrap.mjs), interleaved
 * across repeats after one warm-up run each.
 *
 * CPU per request is marginal: every repeat runs each generator twice, for
 * `shortS` and for `shortS + seconds`, and divides the difference in CPU by
 * the difference in requests. The process start-up (Node and tsx for the
 * engine, Node for autocannon, Artillery's workers) cancels out, so what is
 * left is the cost of one more request once the generator runs; the rate is
 * the long run's own figure. Artillery, 20× slower than the engine and
 * seconds to start, runs in the first repeat only (the bench's budget).
 */
import { type GeneratorRun, generators as allGenerators, type LoadGenerator } from './generators.ts'
import { startFixture } from './harness.ts'

export interface PeerSample {
  /** Requests per second of the long run. */
  rps: number
  p99Ms: number
  /** Marginal CPU per request, µs (NaN when the long run answered no more requests than the short one). */
  cpuUsPerRequest: number
  errors: number
  long: GeneratorRun
  short: GeneratorRun
}

export interface PeersFigures {
  connections: number
  seconds: number
  /** One list of samples per generator id that ran (one sample per repeat). */
  samples: Partial<Record<LoadGenerator['id'], PeerSample[]>>
  labels: Partial<Record<LoadGenerator['id'], string>>
  /** Generators that could not run here, with what is missing. */
  missing: Partial<Record<LoadGenerator['id'], string>>
}

export function marginalCpuUs(short: GeneratorRun, long: GeneratorRun): number {
  const dReq = long.requests - short.requests
  return dReq > 0 ? ((long.cpuMs - short.cpuMs) * 1000) / dReq : Number.NaN
}

export async function benchPeers(
  opts: {
    repeats?: number
    /** Measured seconds above the short run (default 5). */
    seconds?: number
    shortS?: number
    connections?: number
    generators?: readonly LoadGenerator[]
    /** Generators measured in the first repeat only (slow to start, far from the engine: Artillery by default). */
    firstRepeatOnly?: ReadonlyArray<LoadGenerator['id']>
    log?: (line: string) => void
  } = {},
): Promise<PeersFigures> {
  const repeats = opts.repeats ?? 3
  const seconds = opts.seconds ?? 5
  const shortS = opts.shortS ?? 1
  const connections = opts.connections ?? 20
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`))
  const figures: PeersFigures = { connections, seconds, samples: {}, labels: {}, missing: {} }
  const ready: LoadGenerator[] = []
  for (const g of opts.generators ?? allGenerators) {
    const why = g.missing()
    figures.labels[g.id] = g.label
    if (why) {
      figures.missing[g.id] = why
      log(`  peers: ${g.label} is missing, its entries are skipped: ${why}`)
    } else ready.push(g)
  }
  const fixture = await startFixture()
  try {
    const url = `${fixture.url}/hello`
    // warm-up: the server's JIT and each generator's files in the page cache
    for (const g of ready) await g.run(url, { connections, seconds: shortS })
    for (let r = 0; r < repeats; r++) {
      for (let k = 0; k < ready.length; k++) {
        const g = ready[(k + r) % ready.length]!
        if (r > 0 && (opts.firstRepeatOnly ?? ['artillery']).includes(g.id)) continue
        const short = await g.run(url, { connections, seconds: shortS })
        const long = await g.run(url, { connections, seconds: shortS + seconds })
        const sample: PeerSample = {
          rps: long.rps,
          p99Ms: long.p99Ms,
          cpuUsPerRequest: marginalCpuUs(short, long),
          errors: long.errors,
          long,
          short,
        }
        ;(figures.samples[g.id] ??= []).push(sample)
        log(
          `  peers ${r + 1}/${repeats} ${g.label}: ${Math.round(sample.rps)} req/s, p99 ${sample.p99Ms.toFixed(1)} ms, ${sample.cpuUsPerRequest.toFixed(1)} µs CPU/request (${long.cpuMs} − ${short.cpuMs} ms over ${long.requests} − ${short.requests} requests)${sample.errors ? `, ${sample.errors} errors` : ''}`,
        )
      }
    }
  } finally {
    await fixture.stop()
  }
  return figures
}
