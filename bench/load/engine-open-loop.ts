/**
 * Child-process entry: the embedded engine's `constant-arrival-rate`
 * executor (open model) at one rate against one URL, with the VUs and sockets
 * of the highest-rate runs (HIGH_RATE_LOAD), so it runs in a process of its
 * own just as the closed loop does (engine-closed-loop.ts). The first second
 * is the engine's warm-up and is not measured. Bounded: `seconds` + 1 plus a
 * 3 s graceful stop.
 *
 *   node --import tsx bench/load/engine-open-loop.ts <url> <rate> <seconds>
 *
 * Prints one JSON line on stdout: target, achieved (req/s over the measured
 * seconds), dropped (arrivals with no free VU, the warm-up included).
 */
import { HIGH_RATE_LOAD, runEngine } from './harness.ts'

const [target, rateArg, secondsArg] = process.argv.slice(2)
const rate = Number(rateArg)
const seconds = Number(secondsArg)
if (!target || !(rate >= 1) || !(seconds > 0)) {
  process.stderr.write('usage: engine-open-loop.ts <url> <rate> <seconds>\n')
  process.exit(2)
}
const url = new URL(target)
const run = await runEngine(
  url.origin,
  url.pathname,
  rate,
  seconds + 1,
  HIGH_RATE_LOAD.flow,
  undefined,
  HIGH_RATE_LOAD.plan,
)
process.stdout.write(
  `${JSON.stringify({ target: rate, achieved: Math.round(run.rate(1, seconds + 1)), dropped: run.dropped })}\n`,
)
process.exit(0)
