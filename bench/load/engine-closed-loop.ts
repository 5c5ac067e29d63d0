/**
 * Child-process entry: the embedded engine's `constant-vus` executor (closed
 * model) against one URL, so it is measured as a process beside wrk,
 * autocannon and Artillery. Bounded: the plan's duration plus a 2 s graceful
 * stop.
 *
 *   node --import tsx bench/load/engine-closed-loop.ts <url> <vus> <seconds>
 *
 * Prints one JSON line on stdout: requests, failed, durationS, p99Ms.
 */
import { percentileMs, seriesWindow } from '../../src/record/histogram.ts'
import { engines } from '../../src/load/index.ts'
import type { FlowConfig } from '../../src/scenario/schema.ts'
import { fixtureTargets } from './harness.ts'

const [target, vusArg, secondsArg] = process.argv.slice(2)
const vus = Number(vusArg)
const seconds = Number(secondsArg)
if (!target || !(vus >= 1) || !(seconds > 0)) {
  process.stderr.write('usage: engine-closed-loop.ts <url> <vus> <seconds>\n')
  process.exit(2)
}
const url = new URL(target)
const flow = {
  flow: 'api-call',
  executor: 'constant-vus',
  vus,
  timeUnit: '1s',
  preAllocatedVUs: vus,
  startTime: '0s',
  clients: 1,
  timeout: '10s',
  dpop: false,
  dpopAlg: 'ES256',
  startRate: 0,
} as FlowConfig
const result = await engines.embedded!.run(
  { duration: `${seconds}s`, warmup: '0s', gracefulStop: '2s', connections: vus, flows: [flow] },
  fixtureTargets(url.origin, url.pathname),
  {
    signal: new AbortController().signal,
    seed: 1,
  },
)
const rs = result.series.filter((s) => s.metric === 'rs_request')
const all = seriesWindow(rs, 0, Number.MAX_SAFE_INTEGER)
const failed = seriesWindow(
  rs.filter((s) => s.failed),
  0,
  Number.MAX_SAFE_INTEGER,
).count
process.stdout.write(
  `${JSON.stringify({ requests: all.count - failed, failed, durationS: seconds, p99Ms: percentileMs(all.histogram, 99) })}\n`,
)
process.exit(0)
