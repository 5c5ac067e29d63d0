/**
 * Stack start-up and memory against the number of reference RSs: the
 * process runtime starts mock-as and `n` resilient mock-rs children (in
 * parallel), and this reports the time to a healthy stack, the harness's
 * own RSS and the children's. Run as a child process per size, so each
 * harness RSS starts from the same empty process:
 *
 *   node --import tsx bench/curves/stack-size.ts <n>
 *
 * Prints one JSON line: rs, startMs, harnessRssMb, childrenRssMb,
 * childrenCpuMs (the CPU the components spent until the stack was healthy:
 * their boots), harnessCpuMs (this process's CPU while it started them).
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
  /** User + system CPU of the components (their boots), ms, read from /proc when the stack is healthy. */
  childrenCpuMs: number
  /** CPU of this process (the harness) from the start call to a healthy stack, ms. */
  harnessCpuMs: number
}

/** USER_HZ is 100 on Linux (as in bench/lib/cpu-wrap.mjs). */
const TICK_MS = 10

/** This process's direct children (the components), from /proc: every task's `children`, since libuv may spawn from any thread. */
function childPids(): string[] {
  const pids = new Set<string>()
  for (const t of readdirSync('/proc/self/task')) {
    for (const p of readFileSync(`/proc/self/task/${t}/children`, 'utf8').trim().split(/\s+/)) if (p) pids.add(p)
  }
  return [...pids]
}

/** Sum of `of(pid)` over the children still there. */
function sumOverChildren(of: (pid: string) => number): number {
  let sum = 0
  for (const pid of childPids()) {
    try {
      sum += of(pid)
    } catch {
      // the child is gone
    }
  }
  return sum
}

const rssKb = (pid: string) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)

/** utime + stime of a process, ms (fields 14 and 15 of /proc/PID/stat, after the parenthesised name). */
function cpuMs(pid: string): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12])) * TICK_MS
}

export async function stackSize(n: number): Promise<StackSizeFigures> {
  const stack = withDefaults<StackConfig>(StackSection, {
    authorizationServer: {},
    resourceServers: Array.from({ length: n }, (_, i) => ({ name: `rs${i + 1}`, profile: 'resilient' })),
  })
  const t = performance.now()
  const cpu0 = process.cpuUsage()
  const started = await runtimes.process!.start(stack, {
    signal: new AbortController().signal,
    log: silentLogger,
    seed: 1,
  })
  const startMs = performance.now() - t
  const cpu = process.cpuUsage(cpu0)
  const childrenCpuMs = sumOverChildren(cpuMs)
  try {
    const mb = (kb: number) => Math.round(kb / 102.4) / 10
    return {
      rs: n,
      startMs: Math.round(startMs),
      harnessRssMb: Math.round(process.memoryUsage().rss / 1e5) / 10,
      childrenRssMb: mb(sumOverChildren(rssKb)),
      childrenCpuMs,
      harnessCpuMs: Math.round((cpu.user + cpu.system) / 1000),
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
