/**
 * Max sustained rate: the highest arrival rate at which the embedded engine
 * delivers ≥ 99% of the target against a minimal fastify route (in a child
 * process), beside autocannon's maximum against the same route in the same
 * run. Target: engine ≥ 0.8 × autocannon. Bounded: each step is a few seconds.
 */
import { median, runAutocannon, runEngine, startFixture } from './harness.ts'

export interface MaxRateFigures {
  engineMaxRate: number
  /** Highest rate the engine delivered in any step (whether or not it met 99% of that step's target). */
  engineBestAchieved: number
  autocannonRps: number
  ratio: number
  /** CPU time of this process (engine worker included, server excluded) per request: a figure a busy machine distorts less than rates. */
  engineCpuUsPerRequest: number
  autocannonCpuUsPerRequest: number
  steps: Array<{ target: number; achieved: number; dropped: number; p99: number }>
}

function cpuUs(u: NodeJS.CpuUsage): number {
  return u.user + u.system
}

/** Climb geometrically from `startRate` until the engine falls below 99% of the target. */
export async function benchMaxRate(opts: { startRate?: number; stepS?: number; maxSteps?: number; autocannonS?: number } = {}): Promise<MaxRateFigures> {
  const stepS = opts.stepS ?? 5
  const fixture = await startFixture()
  try {
    const url = `${fixture.url}/hello`
    await runAutocannon(url, 2, 10) // warm up the server's JIT
    const cpu0 = process.cpuUsage()
    const cannon = await runAutocannon(url, opts.autocannonS ?? 5, 50)
    const cannonCpu = cpuUs(process.cpuUsage(cpu0))
    const cannonRequests = cannon.rps * (opts.autocannonS ?? 5)
    const engineCpu: number[] = []
    const steps: MaxRateFigures['steps'] = []
    let rate = opts.startRate ?? Math.max(50, Math.round(cannon.rps * 0.3))
    let best = 0
    for (let i = 0; i < (opts.maxSteps ?? 6); i++) {
      // as many VUs (hence connections) as autocannon's 50 connections, plus margin: a slow step drops
      // iterations (counted) instead of opening hundreds of sockets on a starved server
      const run = await runEngine(fixture.url, '/hello', rate, stepS + 1, { preAllocatedVUs: 64, maxVUs: 64 })
      if (Number.isFinite(run.cpuUsPerRequest)) engineCpu.push(run.cpuUsPerRequest)
      // the first second is the engine's own warm-up
      const achieved = run.rate(1, stepS + 1)
      steps.push({ target: rate, achieved: Math.round(achieved), dropped: run.dropped, p99: run.p(99, 1, stepS + 1) })
      if (achieved < rate * 0.99) break
      best = rate
      rate = Math.round(rate * 1.25)
    }
    return {
      engineMaxRate: best,
      engineBestAchieved: Math.max(0, ...steps.map((x) => x.achieved)),
      autocannonRps: Math.round(cannon.rps),
      ratio: cannon.rps ? best / cannon.rps : 0,
      engineCpuUsPerRequest: engineCpu.length ? median(engineCpu) : Number.NaN,
      autocannonCpuUsPerRequest: Math.round(cannonCpu / Math.max(1, cannonRequests)),
      steps,
    }
  } finally {
    await fixture.stop()
  }
}
