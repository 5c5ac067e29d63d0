/**
 * The embedded load engine (the default): open-model executors in a worker
 * thread, undici pools, latency measured from the intended start (corrected
 * for coordinated omission, as wrk2 does) and from the actual send, per-second
 * HDR histograms. Everything k6-specific lives in the k6 engine; both return
 * the same LoadResult.
 */
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { GamedayError, type ErrorCode, errorCodes } from '../errors.ts'
import type { LoadResult } from '../record/index.ts'
import type { Targets } from '../runtime/types.ts'
import type { LoadConfig } from '../scenario/schema.ts'
import { durationMs } from '../util/duration.ts'
import { assertLoopbackUrl } from '../util/loopback.ts'
import { entryPath } from '../util/package-root.ts'
import { registerSecret as registerGlobal } from '../util/secrets.ts'
import type { MainMessage, PlainTargets, WorkerInput, WorkerMessage } from './embedded-protocol.ts'
import { executors } from './executors/index.ts'
import { flows } from './flows/index.ts'
import type { LoadControl, LoadEngineDefinition, LoadRunOptions, PreparedLoad } from './types.ts'

/**
 * Origins the load may reach although they are not loopback: resource servers
 * marked `external`, and the AS when the stack does not control it (it was
 * named by URL in the scenario).
 */
export function externalOrigins(targets: Targets): string[] {
  const out = new Set<string>()
  for (const rs of targets.resourceServers) if (rs.external) out.add(new URL(rs.apiUrl).origin)
  if (!targets.control?.as) {
    for (const u of [targets.tokenEndpoint, targets.authorizationEndpoint, targets.introspectionEndpoint])
      if (u) out.add(new URL(u).origin)
  }
  return [...out]
}

/** Refuse flows and executors this engine does not have, and non-loopback URLs the flows would call (before any worker starts). */
export function checkTargets(plan: LoadConfig, targets: Targets): void {
  plan.flows.forEach((f, i) => {
    if (!flows[f.flow])
      throw new GamedayError(
        'ERR_UNKNOWN_UNIT',
        `load.flows[${i}].flow: the embedded engine has no flow ${JSON.stringify(f.flow)} (one of ${Object.keys(flows).join(', ')})`,
      )
    if (!executors[f.executor])
      throw new GamedayError(
        'ERR_UNKNOWN_UNIT',
        `load.flows[${i}].executor: unknown executor ${JSON.stringify(f.executor)}`,
      )
  })
  const external = new Set(externalOrigins(targets))
  const check = (url: string | undefined, what: string) => {
    if (url) assertLoopbackUrl(url, what, external.has(new URL(url).origin))
  }
  check(targets.tokenEndpoint, 'targets.tokenEndpoint')
  check(targets.authorizationEndpoint, 'targets.authorizationEndpoint')
  check(targets.introspectionEndpoint, 'targets.introspectionEndpoint')
  for (const f of plan.flows) {
    if (f.flow !== 'api-call' && !(f.flow === 'introspection' && f.target)) continue
    const rs = f.target ? targets.resourceServers.find((r) => r.name === f.target) : targets.resourceServers[0]
    if (rs) check(rs.apiUrl, `resource server ${rs.name}`)
  }
}

function plainTargets(t: Targets): PlainTargets {
  return {
    ...t,
    clients: t.clients.map((c) => ({ ...c })),
    users: t.users.map((u) => ({ ...u })),
    resourceServers: t.resourceServers.map(({ control: _c, ...rs }) => rs),
    control: {},
    feeds: [],
  }
}

function emptyResult(startedAt: number, warning: string): LoadResult {
  return {
    engine: 'embedded',
    engineVersion: `node ${process.version}`,
    startedAt,
    durationMs: Date.now() - startedAt,
    latencyBasis: 'intended-start',
    series: [],
    counters: [],
    aborted: true,
    warnings: [warning],
  }
}

/**
 * The worker's entry: the built `dist/load-worker.js` (tests build dist/
 * first). `execArgv` drops tsx's loader when the parent runs under tsx (the
 * bench, scripts): the built worker needs none, and registering one costs
 * its start-up.
 */
async function workerEntry(): Promise<{ url: URL; execArgv?: string[] }> {
  return { url: pathToFileURL(entryPath('load-worker')), execArgv: withoutTsx(process.execArgv) }
}

/** `execArgv` minus tsx's `--import`/`--require`/`--loader`: a bundled worker needs no TS loader, and registering one costs its start-up. */
export function withoutTsx(argv: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const m = /^(--import|--require|-r|--loader|--experimental-loader)(=(.*))?$/.exec(a)
    if (!m) {
      out.push(a)
      continue
    }
    const value = m[2] ? m[3]! : argv[i + 1]
    if (!m[2]) i++
    if (value !== undefined && !/(^|[/\\])tsx([/\\]|$)|^tsx$/.test(value)) out.push(...(m[2] ? [a] : [a, value]))
  }
  return out
}

/**
 * Process-wide flags a worker refuses (V8 flags such as --max-old-space-size,
 * given as `node --flag oauth-gameday …`) are dropped from its `execArgv`: a
 * worker shares the process's V8, so they already apply to it.
 */
export function workerExecArgv(argv: readonly string[], rejected: string): string[] {
  const bad = new Set(
    rejected
      .replace(/^.*flags:\s*/, '')
      .split(/,\s*|\s+/)
      .filter(Boolean),
  )
  return argv.filter((a) => !bad.has(a))
}

/** A worker on the engine's entry; `null` data: it waits for an `input` message (a pre-booted spare). */
function workerOn(entry: Awaited<ReturnType<typeof workerEntry>>, workerData: WorkerInput | null): Worker {
  if (!entry.execArgv) return new Worker(entry.url, { workerData })
  try {
    return new Worker(entry.url, { workerData, execArgv: entry.execArgv })
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw err
    entry.execArgv = workerExecArgv(entry.execArgv, (err as Error).message)
    return new Worker(entry.url, { workerData, execArgv: entry.execArgv })
  }
}

/** A worker booted ahead of its plan by {@link prebootEmbedded}, taken by the next prepare. */
let spare: Worker | undefined

/**
 * Start booting a worker now (loading the engine costs a few hundred ms), so
 * the next {@link prepareEmbedded} only hands it the plan. The runner calls it
 * before it starts the stack, so the two overlap. The spare never keeps the
 * process alive; the returned function stops it when no prepare took it.
 *
 * @example
 * const release = prebootEmbedded(); try { await startStack(); await prepareEmbedded(...) } finally { release() }
 */
export function prebootEmbedded(): () => void {
  if (spare) return () => {}
  let mine: Worker | undefined
  let released = false
  void workerEntry().then((entry) => {
    // released before the entry was ready (the run failed early): nobody would take it
    if (spare || released) return
    mine = workerOn(entry, null)
    mine.unref()
    // a spare that fails to boot is simply not used
    mine.once('error', () => {
      if (spare === mine) spare = undefined
    })
    mine.once('exit', () => {
      if (spare === mine) spare = undefined
    })
    spare = mine
  })
  return () => {
    released = true
    if (mine && spare === mine) {
      spare = undefined
      void mine.terminate()
    }
  }
}

/** Whether a pre-booted worker is waiting for a plan (for tests and diagnostics). */
export function hasSpareWorker(): boolean {
  return spare !== undefined
}

export interface EmbeddedOptions {
  /** Seeded uniform jitter of arrivals as a share of the gap; 0 (none) by default. */
  jitter?: number
}

/**
 * Boot the worker and run every flow's setup; the returned handle starts the load.
 *
 * @example
 * const prepared = await prepareEmbedded(scenario.load, stack.targets, { signal, seed: 1 })
 * const result = await prepared.start(Date.now() + 500)
 */
export async function prepareEmbedded(
  plan: LoadConfig,
  targets: Targets,
  options: LoadRunOptions & EmbeddedOptions,
): Promise<PreparedLoad> {
  checkTargets(plan, targets)
  const input: WorkerInput = {
    plan,
    targets: plainTargets(targets),
    seed: options.seed,
    externalOrigins: externalOrigins(targets),
    jitter: options.jitter ?? 0,
    ...(options.runDir ? { artifactsDir: options.runDir } : {}),
  }
  let worker: Worker
  const booted = spare
  spare = undefined
  if (booted) {
    worker = booted
    worker.ref()
    worker.postMessage({ type: 'input', input } satisfies MainMessage)
  } else worker = workerOn(await workerEntry(), input)
  const registerSecret = options.registerSecret ?? registerGlobal
  const startedAt = Date.now()
  let onReady: (() => void) | undefined
  // clock changes waiting for the worker's acknowledgement (answered in order); all released when the load ends
  let ended = false
  const clockAcks: Array<() => void> = []
  const release = () => {
    ended = true
    for (const ack of clockAcks.splice(0)) ack()
  }
  const ready = new Promise<void>((resolve) => {
    onReady = resolve
  })
  const result = new Promise<LoadResult>((resolve, reject) => {
    let settled = false
    let killTimer: NodeJS.Timeout | undefined
    const finish = (fn: () => void) => {
      if (settled) return
      settled = true
      release()
      if (killTimer) clearTimeout(killTimer)
      options.signal.removeEventListener('abort', onAbort)
      fn()
      void worker.terminate()
    }
    const onAbort = () => {
      worker.postMessage({ type: 'abort' } satisfies MainMessage)
      // the worker cancels in-flight requests at once; if it does not answer, stop it and return what is known
      const graceMs = durationMs(plan.gracefulStop ?? '5s') + 5_000
      killTimer = setTimeout(
        () => finish(() => resolve(emptyResult(startedAt, 'the load worker did not stop in time and was terminated'))),
        graceMs,
      )
    }
    if (options.signal.aborted) onAbort()
    else options.signal.addEventListener('abort', onAbort, { once: true })
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') options.onProgress?.(m.progress)
      else if (m.type === 'secrets') for (const v of m.values) registerSecret(v)
      else if (m.type === 'ready') onReady?.()
      else if (m.type === 'client-clock-set') clockAcks.shift()?.()
      else if (m.type === 'result') finish(() => resolve(m.result))
      else if (m.type === 'error') {
        const code = (m.code && m.code in errorCodes ? m.code : 'ERR_LOAD_ENGINE_FAILED') as ErrorCode
        finish(() =>
          reject(new GamedayError(code, code === 'ERR_LOAD_ENGINE_FAILED' ? `load engine: ${m.message}` : m.message)),
        )
      }
    })
    worker.on('error', (err) =>
      finish(() =>
        reject(
          new GamedayError('ERR_LOAD_ENGINE_FAILED', `load engine: worker crashed (${err.message})`, { cause: err }),
        ),
      ),
    )
    worker.on('exit', (code) =>
      finish(() =>
        reject(
          new GamedayError(
            'ERR_LOAD_ENGINE_FAILED',
            `load engine: worker exited with code ${code} before returning a result`,
          ),
        ),
      ),
    )
  })
  // setup failures (and aborts during setup) surface here rather than as a dangling promise
  await Promise.race([ready, result])
  const control: LoadControl = {
    setClientClockOffset(seconds) {
      if (ended) return Promise.resolve()
      return new Promise<void>((resolve) => {
        clockAcks.push(resolve)
        worker.postMessage({ type: 'client-clock', offsetMs: Math.round(seconds * 1000) } satisfies MainMessage)
      })
    },
  }
  return {
    control,
    start(startAt) {
      worker.postMessage({ type: 'start', startAt } satisfies MainMessage)
      return result
    },
    async cancel() {
      worker.postMessage({ type: 'abort' } satisfies MainMessage)
      await result.catch(() => undefined)
      await worker.terminate()
    },
  }
}

/**
 * Run `plan` against `targets` in a worker thread. With `startAt`, t0 stays
 * there even when the worker boots late (missed arrivals count as dropped).
 *
 * @example
 * const result = await embedded.run(scenario.load, stack.targets, { signal, seed: 1, onProgress: console.log })
 */
export async function runEmbedded(
  plan: LoadConfig,
  targets: Targets,
  options: LoadRunOptions & EmbeddedOptions,
): Promise<LoadResult> {
  const prepared = await prepareEmbedded(plan, targets, options)
  return prepared.start(options.startAt)
}

export const embedded: LoadEngineDefinition = {
  id: 'embedded',
  summary:
    'built-in open-model engine (worker thread, undici, HDR histograms, latency corrected for coordinated omission)',
  async available() {
    return { ok: true, version: `node ${process.version}` }
  },
  loadControl: true,
  run: (plan, targets, options) => runEmbedded(plan, targets, options),
  prepare: (plan, targets, options) => prepareEmbedded(plan, targets, options),
  preboot: () => prebootEmbedded(),
}
