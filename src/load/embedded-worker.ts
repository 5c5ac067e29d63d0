/**
 * The embedded engine's worker thread: it owns its own event loop, so a
 * server under test in the main thread (or a busy runner) never delays an
 * arrival, and the engine never delays a server. Runs every flow with its
 * executor, records into per-second HDR buckets, reports progress about once
 * a second (with the seconds that changed, for live scoring), and hands back
 * the LoadResult (partial and `aborted` on abort).
 */
import { setMaxListeners } from 'node:events'
import { parentPort, workerData } from 'node:worker_threads'
import { durationMs } from '../util/duration.ts'
import { deriveSeed, seededRandom } from '../util/random.ts'
import type { MainMessage, WorkerInput, WorkerMessage } from './embedded-protocol.ts'
import { executors } from './executors/index.ts'
import { realClock, runExecutor } from './executors/run.ts'
import type { VuPool } from './executors/vu-pool.ts'
import { flowNames } from './flow-names.ts'
import { flows } from './flows/index.ts'
import type { FlowContext } from './flows/types.ts'
import { percentileMs } from '../record/histogram.ts'
import { createHttpClient } from './http.ts'
import { type RecordHandle, Recorder } from './recorder.ts'

const port = parentPort!
const post = (m: WorkerMessage) => port.postMessage(m)

const abort = new AbortController()
let onStart: ((startAt: number | undefined) => void) | undefined
let onInput: ((input: WorkerInput) => void) | undefined
/** How far the clients' clock is off (a dpop-client-clock-skew fault); their proofs' `iat` comes from it. */
let clientClockOffsetMs = 0
port.on('message', (m: MainMessage) => {
  if (m.type === 'abort') abort.abort()
  else if (m.type === 'start') onStart?.(m.startAt)
  else if (m.type === 'input') onInput?.(m.input)
  else if (m.type === 'client-clock') {
    clientClockOffsetMs = m.offsetMs
    post({ type: 'client-clock-set', offsetMs: m.offsetMs })
  }
})
const clientNow = () => Date.now() + clientClockOffsetMs

/** The plan: in workerData, or, for a worker booted ahead of it, the first `input` message. */
const input: WorkerInput =
  (workerData as WorkerInput | null) ?? (await new Promise<WorkerInput>((resolve) => (onInput = resolve)))

/** Wait for the main thread's go (or an abort before it). */
function waitForStart(): Promise<number | undefined> {
  return new Promise((resolve) => {
    onStart = resolve
    abort.signal.addEventListener('abort', () => resolve(undefined), { once: true })
  })
}

/** Origins the flows of `plan` will call. */
function targetOrigins(plan: WorkerInput['plan'], targets: WorkerInput['targets']): string[] {
  const out = new Set<string>()
  const add = (u: string | undefined) => u && out.add(new URL(u).origin)
  for (const f of plan.flows) {
    if (f.flow === 'api-call' || (f.flow === 'introspection' && f.target)) {
      add((f.target ? targets.resourceServers.find((r) => r.name === f.target) : targets.resourceServers[0])?.apiUrl)
    }
    if (f.flow === 'introspection' && !f.target) add(targets.introspectionEndpoint)
    if (f.flow === 'auth-code' || f.flow === 'refresh') add(targets.authorizationEndpoint)
    add(targets.tokenEndpoint)
  }
  return [...out]
}

/**
 * Before t0, open connections and warm the request path (the parser, the
 * JIT) with unmeasured `GET /healthz` calls (every reference server has it; a
 * 404 elsewhere warms just as well), so the first measured second is not the
 * engine's own start-up. As many sockets are opened per origin as the flows
 * pre-allocate VUs (up to 256): opening hundreds of connections inside the
 * first measured second stalled it and dropped arrivals at high rates.
 */
async function warmUp(
  http: ReturnType<typeof createHttpClient>,
  origins: string[],
  sockets: number,
  signal: AbortSignal,
): Promise<void> {
  const rounds = 5
  const width = Math.max(4, Math.min(256, sockets))
  await Promise.all(
    origins.map(async (origin) => {
      for (let i = 0; i < rounds && !signal.aborted; i++) {
        await Promise.all(
          Array.from({ length: width }, () =>
            http.request({ url: `${origin}/healthz`, timeoutMs: 2000, signal }).catch(() => undefined),
          ),
        )
      }
    }),
  )
}

async function main(): Promise<void> {
  const { plan, targets, seed } = input
  const clock = realClock
  const loadMs = durationMs(plan.duration)
  const gracefulMs = durationMs(plan.gracefulStop ?? '5s')
  const maxTimeoutMs = Math.max(...plan.flows.map((f) => durationMs(f.timeout ?? '10s')))
  const totalVus = plan.flows.reduce((s, f) => s + executors[f.executor]!.vus(f).max, 0)
  // one socket per VU as in k6, unless the plan caps them (requests then wait for a free socket instead of opening more)
  const connections = plan.connections ?? Math.min(1024, Math.max(8, totalVus))
  const http = createHttpClient({ connections, externalOrigins: input.externalOrigins })
  const names = flowNames(plan.flows)
  const warnings = new Set<string>()
  const secrets: string[] = []
  const runEnd = new AbortController()
  const runSignal = AbortSignal.any([abort.signal, runEnd.signal])
  setMaxListeners(0, runSignal, abort.signal)
  let recorder: Recorder | undefined

  const flushSecrets = () => {
    if (secrets.length) post({ type: 'secrets', values: secrets.splice(0) })
  }
  const secretTimer = setInterval(flushSecrets, 250)

  const contexts: FlowContext[] = plan.flows.map((config, i) => {
    const byTags = new WeakMap<object, { metric: string; failed: boolean; handle: RecordHandle }>()
    return {
      name: names[i]!,
      config,
      targets: targets as unknown as FlowContext['targets'],
      http,
      timeoutMs: durationMs(config.timeout ?? '10s'),
      random: seededRandom(deriveSeed(seed, names[i]!)),
      signal: runSignal,
      ...(input.artifactsDir ? { artifactsDir: input.artifactsDir } : {}),
      now: clock.now,
      clientNow,
      record(metric, tags, intendedStart, actualStart, end, failed) {
        // a request cut off by the graceful stop or an abort says nothing about the system under test
        if (tags.reason === 'cancelled')
          return recorder?.count('interrupted_requests', { flow: names[i]! }, 1, clock.now())
        if (!recorder) return
        // a flow that reuses a frozen tags object (api-call's plain outcome) gets its series by identity
        if (Object.isFrozen(tags)) {
          let hit = byTags.get(tags)
          if (!hit || hit.metric !== metric || hit.failed !== failed) {
            hit = {
              metric,
              failed,
              handle: recorder.handle(metric, { ...tags, flow: tags.flow ?? names[i]! } as never, failed),
            }
            byTags.set(tags, hit)
          }
          return hit.handle.record(intendedStart, actualStart, end)
        }
        recorder.record(
          metric,
          { ...tags, flow: tags.flow ?? names[i]! } as never,
          intendedStart,
          actualStart,
          end,
          failed,
        )
      },
      count(name, tags = {}, n = 1) {
        recorder?.count(name, { flow: names[i]!, ...tags }, n, clock.now())
      },
      registerSecret(value) {
        if (value) secrets.push(value)
      },
      warn(message) {
        if (warnings.size < 100) warnings.add(message)
      },
    }
  })

  const states = await Promise.all(plan.flows.map((f, i) => flows[f.flow]!.setup(contexts[i]!)))
  flushSecrets()
  const preAllocated = plan.flows.reduce((sum, f) => sum + executors[f.executor]!.vus(f).preAllocated, 0)
  await warmUp(http, targetOrigins(plan, targets), Math.min(preAllocated, connections), abort.signal)
  post({ type: 'ready' })
  const startAt = await waitForStart()

  // t0 stays where the runner put it so faults and load share one time axis; arrivals the engine
  // was not ready for are counted as dropped (reason not_ready), not silently shifted
  const t0 = startAt ?? clock.now() + 50
  const readyAt = clock.now()
  if (readyAt > t0)
    warnings.add(
      `the engine was ready ${Math.round(readyAt - t0)} ms after t0; arrivals before that are counted as dropped (not_ready)`,
    )
  recorder = new Recorder(t0, Math.ceil(maxTimeoutMs / 1000) + Math.ceil(gracefulMs / 1000) + 2)
  const rec = recorder
  const pools: VuPool[] = []
  let dropped = 0

  let lastTick = clock.now()
  /** One progress message: the figures since the last one and the seconds that changed (`final`: every second, the one in progress too). */
  const tick = (final: boolean) => {
    const now = clock.now()
    const w = rec.takeWindow()
    const activeVUs = pools.reduce((s, p) => s + p.active, 0)
    if (!final) rec.gauge('vus', {}, activeVUs, now)
    const changes = rec.takeChanges(final ? Number.POSITIVE_INFINITY : now)
    if (!final) rec.flush(now)
    // the last message may come less than a second after the one before
    const seconds = final ? Math.max(0.25, (now - lastTick) / 1000) : 1
    lastTick = now
    post({
      type: 'progress',
      progress: {
        elapsedMs: Math.max(0, now - t0),
        totalMs: loadMs,
        rate: w.count / seconds,
        p95: w.count ? percentileMs(w.histogram, 95) : 0,
        errorRate: w.count ? w.failed / w.count : 0,
        droppedIterations: dropped,
        activeVUs,
        series: changes.series,
        counters: changes.counters,
      },
    })
  }
  const progressTimer = setInterval(() => tick(false), 1000)

  try {
    await Promise.all(
      plan.flows.map(async (f, i) => {
        const ctx = contexts[i]!
        const executor = executors[f.executor]!
        const offset = durationMs(f.startTime ?? '0s')
        const room = Math.max(0, loadMs - offset)
        const own = f.duration ? durationMs(f.duration) : executor.ownDurationMs?.(f)
        const flow = flows[f.flow]!
        const state = states[i]
        const iterations = rec.counter('iterations', { flow: ctx.name })
        await runExecutor(
          {
            executor,
            flow: f,
            clock,
            startAt: t0 + offset,
            durationMs: Math.min(room, own ?? room),
            gracefulStopMs: gracefulMs,
            signal: abort.signal,
            random: ctx.random,
            jitter: input.jitter,
            skipBefore: readyAt,
            batchMs: 1,
            iterate(start, done) {
              iterations.add(1, start.intendedStart)
              if (flow.start) return flow.start(ctx, start, state, done)
              return flow
                .iteration(ctx, start, state)
                .catch((err: Error) => ctx.warn(`${ctx.name}: iteration failed unexpectedly (${err.message})`))
            },
            onDropped(at, reason) {
              dropped++
              rec.count(
                'dropped_iterations',
                reason === 'no_vu' ? { flow: ctx.name } : { flow: ctx.name, reason },
                1,
                at,
              )
            },
          },
          (pool) => pools.push(pool),
        )
      }),
    )
  } finally {
    runEnd.abort()
    clearInterval(progressTimer)
    await Promise.allSettled(
      plan.flows.map((f, i) => flows[f.flow]!.teardown?.(contexts[i]!, states[i]) ?? Promise.resolve()),
    )
    await http.close()
    clearInterval(secretTimer)
    flushSecrets()
  }
  const end = clock.now()
  // the seconds not sent yet, so the progress messages add up to the result
  tick(true)
  const { series, counters } = rec.result()
  if (rec.overflow) warnings.add(`${rec.overflow} requests were not recorded: too many distinct series`)
  post({
    type: 'result',
    result: {
      engine: 'embedded',
      engineVersion: `node ${process.version}`,
      startedAt: Math.round(t0),
      durationMs: Math.round(end - t0),
      latencyBasis: 'intended-start',
      series,
      counters,
      aborted: abort.signal.aborted,
      warnings: [...warnings],
    },
  })
}

main().then(
  () => port.close(),
  (err: unknown) => {
    const e = err as { message?: string; code?: string }
    post({ type: 'error', message: e?.message ?? String(err), code: e?.code })
    port.close()
  },
)
