/**
 * Stack start-up and memory against the number of reference RSs: the
 * process runtime starts mock-as and `n` resilient mock-rs children (in
 * parallel), and this reports the time to a healthy stack, the harness's
 * own RSS and the children's. Run as a child process per size, so each
 * harness RSS starts from the same empty process:
 *
 *   node --import tsx bench/curves/stack-size.ts <n>
 *
 * Prints one JSON line: rs, startMs, harnessRssMb, childrenRssMb.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { silentLogger } from '../../src/log.ts'
import { runtimes } from '../../src/runtime/index.ts'
import { type StackConfig, StackSection } from '../../src/scenario/schema.ts'
import { withDefaults } from '../../src/scenario/schema-errors.ts'

export interface StackSizeFigures {
  rs: number
  startMs: number
  harnessRssMb: number
  childrenRssMb: number
}

/** RSS of this process's direct children (the components), from /proc: every task's `children`, since libuv may spawn from any thread. */
function childrenRssKb(): number {
  const pids = new Set<string>()
  for (const t of readdirSync('/proc/self/task')) {
    for (const p of readFileSync(`/proc/self/task/${t}/children`, 'utf8').trim().split(/\s+/)) if (p) pids.add(p)
  }
  let kb = 0
  for (const pid of pids) {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)
    } catch {
      // the child is gone
    }
  }
  return kb
}

export async function stackSize(n: number): Promise<StackSizeFigures> {
  const stack = withDefaults<StackConfig>(StackSection, {
    authorizationServer: {},
    resourceServers: Array.from({ length: n }, (_, i) => ({ name: `rs${i + 1}`, profile: 'resilient' })),
  })
  const t = performance.now()
  const started = await runtimes.process!.start(stack, {
    signal: new AbortController().signal,
    log: silentLogger,
    seed: 1,
  })
  const startMs = performance.now() - t
  try {
    const mb = (kb: number) => Math.round(kb / 102.4) / 10
    return {
      rs: n,
      startMs: Math.round(startMs),
      harnessRssMb: Math.round(process.memoryUsage().rss / 1e5) / 10,
      childrenRssMb: mb(childrenRssKb()),
    }
  } finally {
    await started.stop()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const n = Number(process.argv[2])
  if (!(n >= 1)) throw new Error('usage: stack-size.ts <number of resource servers>')
  process.stdout.write(`${JSON.stringify(await stackSize(n))}\n`)
  process.exit(0)
}
