/**
 * The opt-in soak (`npm run bench -- --soak`, `--soak-minutes N`): the
 * process runtime's stack (mock-as + one resilient RS) under the embedded
 * engine's client-credentials flow at 500 tokens/s for N minutes (default
 * 10), in a fresh process. Each progress tick (about once a second) samples
 * this harness process's RSS (the engine's worker included), mock-as's RSS
 * (/proc) and the bytes of the tick's record changes (the per-second series
 * and counters the runner appends to the run record). The first third of the
 * run (at least 10 s) is the warm-up; what follows must stay flat. (A fifth
 * was too short: at 500 tokens/s the harness's RSS rose for about 4 minutes,
 * V8's old space growing through its first major collections, then held at
 * 222–225 MB for the last 5 minutes of a 10-minute soak.)
 *
 *   node --import tsx bench/curves/soak.ts <minutes>
 *
 * Prints one JSON line (SoakFigures); a progress line every 30 s on stderr.
 */
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { engines } from '../../src/load/index.ts'
import { silentLogger } from '../../src/log.ts'
import { runtimes } from '../../src/runtime/index.ts'
import { type FlowConfig, type StackConfig, StackSection } from '../../src/scenario/schema.ts'
import { withDefaults } from '../../src/scenario/schema-errors.ts'

export const SOAK_RATE = 500

export interface SoakSample {
  /** Seconds since t0. */
  t: number
  harnessRssMb: number
  asRssMb: number
  /** Bytes of this tick's record changes (JSON). */
  recordBytes: number
  /** Tokens per second in this tick. */
  rate: number
}

export interface SoakFigures {
  minutes: number
  warmupS: number
  samples: SoakSample[]
  /** Growth after the warm-up: mean of the last fifth over the mean of the first fifth after warm-up. */
  harnessRssGrowth: number
  asRssGrowth: number
  recordBytesGrowth: number
  /** Least-squares slope after the warm-up, MB per minute. */
  harnessRssSlopeMbPerMin: number
  asRssSlopeMbPerMin: number
  /** Tokens answered per second over the run, and the share that failed. */
  achievedRate: number
  failedShare: number
}

const rssMbOf = (pid: number | undefined): number => {
  if (pid === undefined) return Number.NaN
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN) / 1024
  } catch {
    return Number.NaN
  }
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length)

/** Least-squares slope of y over x. */
export function slope(points: Array<[number, number]>): number {
  const mx = mean(points.map((p) => p[0]))
  const my = mean(points.map((p) => p[1]))
  let num = 0
  let den = 0
  for (const [x, y] of points) {
    num += (x - mx) * (y - my)
    den += (x - mx) ** 2
  }
  return den ? num / den : 0
}

/** Growth and slope of one sampled figure after the warm-up. */
export function flatness(
  samples: SoakSample[],
  warmupS: number,
  pick: (s: SoakSample) => number,
): { growth: number; slopePerMin: number } {
  const after = samples.filter((s) => s.t >= warmupS && Number.isFinite(pick(s)))
  const fifth = Math.max(1, Math.floor(after.length / 5))
  const first = mean(after.slice(0, fifth).map(pick))
  const last = mean(after.slice(-fifth).map(pick))
  return {
    growth: first ? last / first : Number.NaN,
    slopePerMin: slope(after.map((s) => [s.t / 60, pick(s)])),
  }
}

export async function soak(minutes: number): Promise<SoakFigures> {
  const stack = withDefaults<StackConfig>(StackSection, {
    authorizationServer: {},
    resourceServers: [{ name: 'rs1', profile: 'resilient' }],
  })
  const signal = new AbortController().signal
  const started = await runtimes.process!.start(stack, { signal, log: silentLogger, seed: 1 })
  try {
    const asPid = started.components?.().find((c) => c.component === 'as')?.pid
    const samples: SoakSample[] = []
    const flow = {
      flow: 'client-credentials',
      executor: 'constant-arrival-rate',
      rate: SOAK_RATE,
      timeUnit: '1s',
      preAllocatedVUs: 50,
      maxVUs: 1000,
      startTime: '0s',
      timeout: '10s',
      startRate: 0,
    } as FlowConfig
    const durationS = Math.round(minutes * 60)
    const result = await engines.embedded!.run(
      { duration: `${durationS}s`, warmup: '0s', gracefulStop: '3s', flows: [flow] },
      started.targets,
      {
        signal,
        seed: 1,
        onProgress: (p) => {
          const sample: SoakSample = {
            t: p.elapsedMs / 1000,
            harnessRssMb: process.memoryUsage().rss / 2 ** 20,
            asRssMb: rssMbOf(asPid),
            recordBytes: JSON.stringify({ series: p.series, counters: p.counters }).length,
            rate: p.rate,
          }
          samples.push(sample)
          // a line every 30 s on stderr (the bench shows it), so a 10-minute soak is not silent
          if (samples.length % 30 === 0)
            process.stderr.write(
              `  soak: ${Math.round(sample.t)}/${durationS} s, ${Math.round(sample.rate)} tokens/s, harness RSS ${sample.harnessRssMb.toFixed(0)} MB, mock-as RSS ${sample.asRssMb.toFixed(0)} MB\n`,
            )
        },
      },
    )
    let total = 0
    let failed = 0
    for (const s of result.series)
      if (s.metric === 'oauth_token')
        for (const b of s.buckets) {
          total += b.count
          if (s.failed) failed += b.count
        }
    const warmupS = Math.max(10, durationS / 3)
    // the last tick carries every second not sent yet: not a steady-state sample
    const steady = samples.filter((s) => s.t <= durationS)
    const h = flatness(steady, warmupS, (s) => s.harnessRssMb)
    const a = flatness(steady, warmupS, (s) => s.asRssMb)
    const r = flatness(steady, warmupS, (s) => s.recordBytes)
    return {
      minutes,
      warmupS,
      samples: steady,
      harnessRssGrowth: h.growth,
      asRssGrowth: a.growth,
      recordBytesGrowth: r.growth,
      harnessRssSlopeMbPerMin: h.slopePerMin,
      asRssSlopeMbPerMin: a.slopePerMin,
      achievedRate: (total - failed) / durationS,
      failedShare: total ? failed / total : 0,
    }
  } finally {
    await started.stop()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const minutes = Number(process.argv[2] ?? 10)
  if (!(minutes > 0)) throw new Error('usage: soak.ts <minutes>')
  process.stdout.write(`${JSON.stringify(await soak(minutes))}\n`)
  process.exit(0)
}
