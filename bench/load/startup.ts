/**
 * Engine start-up: time from the `prepareEmbedded` call to the worker's ready
 * (setup and connection warm-up included), against the minimal fixture route.
 * Standalone: `node --import tsx bench/load/startup.ts [runs]`.
 */
import { pathToFileURL } from 'node:url'
import { prepareEmbedded } from '../../src/load/embedded.ts'
import type { FlowConfig } from '../../src/scenario/schema.ts'
import { fixtureTargets, median, startFixture } from './harness.ts'

export interface StartupFigures {
  /** Median ms from `prepareEmbedded` to ready. */
  readyMs: number
  runs: number[]
}

export async function benchStartup(opts: { runs?: number } = {}): Promise<StartupFigures> {
  const fixture = await startFixture()
  const runs: number[] = []
  try {
    const flow = {
      flow: 'api-call',
      executor: 'constant-arrival-rate',
      rate: 10,
      timeUnit: '1s',
      preAllocatedVUs: 10,
      maxVUs: 10,
      startTime: '0s',
      clients: 1,
      timeout: '10s',
      dpop: false,
      dpopAlg: 'ES256',
      startRate: 0,
    } as FlowConfig
    for (let i = 0; i < (opts.runs ?? 3); i++) {
      const ac = new AbortController()
      const t = performance.now()
      const prepared = await prepareEmbedded(
        { duration: '1s', warmup: '0s', gracefulStop: '1s', flows: [flow] },
        fixtureTargets(fixture.url, '/hello'),
        { signal: ac.signal, seed: 1 },
      )
      runs.push(Math.round(performance.now() - t))
      await prepared.cancel()
    }
  } finally {
    await fixture.stop()
  }
  return { readyMs: median(runs), runs }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify({ bench: 'startup', ...(await benchStartup({ runs: Number(process.argv[2] ?? 3) })) }))
}
