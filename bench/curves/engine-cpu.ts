/**
 * Engine CPU per request against the arrival rate (open model, the fixture's
 * `/hello` in a child process): flat is the goal, so the figure that matters
 * is the ratio of the highest rate's cost to the lowest's. CPU is this
 * process's (main thread and engine worker) between the engine's second and
 * last progress ticks, so the worker's boot is left out.
 */
import { HIGH_RATE_LOAD, runEngine, startFixture } from '../load/harness.ts'

export interface EngineCpuPoint {
  rate: number
  achieved: number
  cpuUsPerRequest: number
}

export async function engineCpuCurve(rates: readonly number[], seconds = 4): Promise<EngineCpuPoint[]> {
  const fixture = await startFixture()
  try {
    await runEngine(fixture.url, '/hello', rates[0]!, 2) // the server's JIT and the worker's files, unmeasured
    const out: EngineCpuPoint[] = []
    for (const rate of rates) {
      const run = await runEngine(
        fixture.url,
        '/hello',
        rate,
        seconds + 1,
        HIGH_RATE_LOAD.flow,
        undefined,
        HIGH_RATE_LOAD.plan,
      )
      out.push({ rate, achieved: Math.round(run.rate(1, seconds + 1)), cpuUsPerRequest: run.cpuUsPerRequest })
    }
    return out
  } finally {
    await fixture.stop()
  }
}
