/**
 * The default runtime: every reference component runs as its own child
 * process on 127.0.0.1, so the load engine never shares an event loop with a
 * server under test. Children get their spec through the environment, print
 * their URL, and die with the harness (they watch their stdin).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { getMaxListeners, setMaxListeners } from 'node:events'
import { GamedayError } from '../errors.ts'
import type { Logger } from '../log.ts'
import type { StackConfig } from '../scenario/schema.ts'
import { entryPath } from '../util/package-root.ts'
import { type ComponentPlan, planStack } from './plan.ts'
import { buildTargets, type StartedComponent, waitHealthy } from './targets.ts'
import type { ComponentExit, RuntimeDefinition, RuntimeStartOptions, StartedStack } from './types.ts'

const LOG_LIMIT = 256 * 1024
const START_TIMEOUT_MS = 60_000

interface RunningChild {
  plan: ComponentPlan
  proc: ChildProcess
  url: string
  log: string[]
  logBytes: number
  exited: Promise<number | null>
}

/** Exits of the children that nobody asked for, delivered to whoever watches (the runner's crash detection). */
function exitWatcher(children: readonly RunningChild[], stopping: () => boolean): NonNullable<StartedStack['watch']> {
  const seen: ComponentExit[] = []
  const listeners = new Set<(e: ComponentExit) => void>()
  for (const c of children) {
    c.proc.once('exit', (code, signal) => {
      if (stopping()) return
      const e: ComponentExit = {
        component: c.plan.name,
        ...(c.proc.pid !== undefined ? { pid: c.proc.pid } : {}),
        code,
        signal,
        time: Date.now(),
      }
      seen.push(e)
      for (const l of listeners) l(e)
    })
  }
  return (listener) => {
    listeners.add(listener)
    for (const e of seen) listener(e)
    return () => listeners.delete(listener)
  }
}

function appendLog(child: Pick<RunningChild, 'log' | 'logBytes'>, chunk: string): void {
  child.log.push(chunk)
  child.logBytes += chunk.length
  while (child.logBytes > LOG_LIMIT && child.log.length > 1) child.logBytes -= child.log.shift()!.length
}

/** Start one component as a child process and wait for its URL line. */
export async function startChildComponent(
  plan: ComponentPlan,
  log: Logger,
  signal?: AbortSignal,
): Promise<RunningChild> {
  const proc = spawn(process.execPath, [entryPath('child')], {
    env: {
      ...process.env,
      OAUTH_GAMEDAY_COMPONENT: JSON.stringify(plan),
      LOG_LEVEL: process.env.COMPONENT_LOG_LEVEL ?? 'warn',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  const state = { log: [] as string[], logBytes: 0 }
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)))
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => appendLog(state, d))
  const url = await new Promise<string>((resolve, reject) => {
    let buf = ''
    const timer = setTimeout(() => fail(`did not print its URL within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS)
    const onAbort = () => fail('aborted while starting')
    signal?.addEventListener('abort', onAbort, { once: true })
    function fail(why: string) {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      proc.kill('SIGKILL')
      const tail = state.log.join('').split('\n').slice(-15).join('\n')
      reject(
        new GamedayError('ERR_RUNTIME_START_FAILED', `${plan.name} ${why}${tail ? `:\n${tail}` : ''}`, {
          hint: 'read the component output above; is the port free?',
        }),
      )
    }
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d
      const lines = buf.split('\n')
      if (lines.length >= 3) {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        resolve(lines[0]!.trim())
      }
    })
    void exited.then((code) => fail(`exited with code ${code} before it was ready`))
  })
  log.debug({ component: plan.name, url }, 'component.started')
  return { plan, proc, url, log: state.log, logBytes: state.logBytes, exited }
}

async function stopChild(child: RunningChild): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return
  child.proc.kill('SIGTERM')
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), 3000)
  await child.exited
  clearTimeout(timer)
}

/**
 * Start a stack as child processes.
 *
 * @example
 * ```ts
 * await using stack = await processRuntime.start(scenario.stack, { signal, log, seed: 1 })
 * console.log(stack.targets.issuer)
 * ```
 */
async function start(stack: StackConfig, options: RuntimeStartOptions): Promise<StartedStack> {
  const plan = await planStack(stack)
  const children: RunningChild[] = []
  let stopped: Promise<void> | undefined
  const stop = () => {
    stopped ??= Promise.all(children.map(stopChild)).then(() => undefined)
    return stopped
  }
  // every starting child listens on the signal until it prints its URL: a 16-RS stack is 17 at once
  if (options.signal)
    setMaxListeners(Math.max(getMaxListeners(options.signal), plan.components.length + 10), options.signal)
  try {
    // each child's health is checked as soon as it prints its URL, while the others still boot:
    // waiting for every URL first put the slowest child's boot before the first health check
    const byIndex: Array<RunningChild | undefined> = []
    const results = await Promise.allSettled(
      plan.components.map(async (c, i) => {
        const child = await startChildComponent(c, options.log, options.signal)
        byIndex[i] = child
        await waitHealthy(c.name, child.url, START_TIMEOUT_MS, options.signal)
      }),
    )
    // in the plan's order, whatever order they came up in; a child that failed its health check is stopped too
    for (const c of byIndex) if (c) children.push(c)
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
    const started: StartedComponent[] = children.map((c) => ({
      name: c.plan.name,
      url: c.url,
      adminToken: c.plan.adminToken,
    }))
    const targets = await buildTargets(stack, plan, started, options.signal)
    return {
      targets,
      stop,
      watch: exitWatcher(children, () => stopped !== undefined),
      components: () =>
        children.map((c) => ({ component: c.plan.name, ...(c.proc.pid !== undefined ? { pid: c.proc.pid } : {}) })),
      health: () => children.map((c) => ({ component: c.plan.name, url: `${c.url}/healthz` })),
      async logs() {
        return Object.fromEntries(children.map((c) => [c.plan.name, c.log.join('')]))
      },
      [Symbol.asyncDispose]: stop,
    }
  } catch (err) {
    await stop()
    throw err
  }
}

export const processRuntime: RuntimeDefinition = {
  id: 'process',
  summary: 'reference components as child processes on 127.0.0.1 (default; no Docker needed)',
  start,
}
