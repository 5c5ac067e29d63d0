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
import { type GeneratorRun, generators as allGenerators, type LoadGenerator, runEngineEntry } from './generators.ts'
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
  /** With `openModel`: per repeat, the engine's open-model search right after its closed-loop sample. */
  open: OpenSearch[]
}

export interface OpenStep {
  target: number
  achieved: number
  dropped: number
}

export interface OpenSearch {
  /** The closed-loop rate measured just before (the engine's sample of the same repeat). */
  closed: number
  /** The highest rate tried that delivered ≥ 99% of its target; 0 when none did. */
  open: number
  steps: OpenStep[]
}

/** Fractions of the closed-loop rate the open-model search tries, highest first; it stops at the first that holds. */
export const OPEN_FRACTIONS = [1, 0.95, 0.9, 0.85, 0.8, 0.7] as const

/** One open-model step in a child process (engine-open-loop.ts), as the closed loop runs in one. */
async function openStep(url: string, rate: number, seconds: number): Promise<OpenStep> {
  return (await runEngineEntry<OpenStep>('engine-open-loop.ts', url, rate, seconds)).json
}

/**
 * The open model's max sustained rate beside the closed loop's, on the same
 * server a moment later: arrivals at falling fractions of the closed-loop
 * rate just measured until one delivers ≥ 99% of its target. Measured
 * side by side because on a shared 2-core box the same route's max moves by
 * half from minute to minute (a search in another group compared two
 * different machines).
 */
export async function openModelMax(
  url: string,
  closed: number,
  seconds: number,
  step: (url: string, rate: number, seconds: number) => Promise<OpenStep> = openStep,
): Promise<OpenSearch> {
  const steps: OpenStep[] = []
  for (const f of OPEN_FRACTIONS) {
    const s = await step(url, Math.round(closed * f), seconds)
    steps.push(s)
    if (s.achieved >= s.target * 0.99) return { closed, open: s.target, steps }
  }
  return { closed, open: 0, steps }
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
    /** After each engine sample, search the open model's max from it ({@link openModelMax}). */
    openModel?: boolean
    log?: (line: string) => void
  } = {},
): Promise<PeersFigures> {
  const repeats = opts.repeats ?? 3
  const seconds = opts.seconds ?? 5
  const shortS = opts.shortS ?? 1
  const connections = opts.connections ?? 20
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`))
  const figures: PeersFigures = { connections, seconds, samples: {}, labels: {}, missing: {}, open: [] }
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
        if (opts.openModel && g.id === 'engine') {
          const o = await openModelMax(url, Math.round(sample.rps), seconds)
          figures.open.push(o)
          log(
            `  peers ${r + 1}/${repeats} engine open model: ${o.open || 'no step held'} req/s after ${o.closed} closed-loop (${o.steps.map((x) => `${x.target}→${x.achieved}${x.dropped ? `, ${x.dropped} dropped` : ''}`).join('; ')})`,
          )
        }
      }
    }
  } finally {
    await fixture.stop()
  }
  return figures
}
